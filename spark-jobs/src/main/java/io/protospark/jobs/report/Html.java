package io.protospark.jobs.report;

import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A self-contained HTML page built piece by piece: headings, paragraphs, tables, and PNG images inlined as base64
 * data URIs (no external script, style sheet or font, so the file opens offline and can be mailed on its own).
 */
final class Html {
    private static final String STYLE = String.join("\n",
            "body{font-family:sans-serif;margin:24px auto;max-width:1320px;color:#222;padding:0 16px}",
            "h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:2em}",
            "h3{font-size:1.05em}",
            "table{border-collapse:collapse;margin:8px 0 16px 0}",
            "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:0.9em}",
            "td.num{text-align:right;font-variant-numeric:tabular-nums}",
            "th{background:#f0f0f0}",
            "figure{display:inline-block;margin:8px 16px 8px 0;vertical-align:top}",
            "figure img{border:1px solid #ddd;max-width:100%;height:auto}",
            "p.missing{color:#777;font-style:italic}",
            "p.meta{color:#555;font-size:0.85em}");

    /** Marks an image's file name in the body until its PNG is inlined; escaped text never holds it. */
    private static final String MARK = "\u0001";

    private final StringBuilder body = new StringBuilder();
    private final String title;

    Html(String title) {
        this.title = title;
    }

    Html h1(String text) {
        return element("<h1>", text, "</h1>");
    }

    Html h2(String text, String id) {
        return element("<h2 id=\"" + escape(id) + "\">", text, "</h2>");
    }

    Html h3(String text) {
        return element("<h3>", text, "</h3>");
    }

    Html p(String text) {
        return element("<p>", text, "</p>");
    }

    Html meta(String text) {
        return element("<p class=\"meta\">", text, "</p>");
    }

    /** A note saying what is not shown and why. */
    Html missing(String text) {
        return element("<p class=\"missing\">", text, "</p>");
    }

    /** {@code open}, the escaped {@code text}, {@code close}, one line. */
    private Html element(String open, String text, String close) {
        body.append(open).append(escape(text)).append(close).append('\n');
        return this;
    }

    /** A table: a header row, then rows of cells; a cell that parses as a number is right-aligned. */
    Html table(String cssClass, List<String> header, List<List<String>> rows) {
        body.append("<table class=\"").append(escape(cssClass)).append("\">\n<tr>");
        for (String h : header) {
            body.append("<th>").append(escape(h)).append("</th>");
        }
        body.append("</tr>\n");
        for (List<String> row : rows) {
            body.append("<tr>");
            for (String cell : row) {
                body.append(isNumber(cell) ? "<td class=\"num\">" : "<td>").append(escape(cell)).append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    /**
     * A PNG inlined as a data URI, with its caption, at its pixel size; its bytes are given to {@link #render} by
     * file name (the charts are rendered after the page is laid out, in parallel).
     */
    Html image(String file, String caption, int width, int height) {
        body.append("<figure><img src=\"data:image/png;base64,").append(MARK).append(file).append(MARK)
                .append("\" width=\"").append(width).append("\" height=\"").append(height).append("\" alt=\"")
                .append(escape(caption)).append("\" data-file=\"").append(escape(file)).append("\">")
                .append("<figcaption>").append(escape(caption)).append("</figcaption></figure>\n");
        return this;
    }

    /** The page, each image's PNG bytes (by file name) inlined in base64. */
    String render(Map<String, byte[]> pngs) {
        StringBuilder page = new StringBuilder(body.length() + pngs.values().stream().mapToInt(b -> b.length * 4 / 3 + 4)
                .sum() + 1024);
        page.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(escape(title)).append("</title>\n<style>\n").append(STYLE)
                .append("\n</style>\n</head>\n<body>\n");
        int at = 0;
        while (true) {
            int open = body.indexOf(MARK, at);
            if (open < 0) {
                break;
            }
            int close = body.indexOf(MARK, open + 1);
            String file = body.substring(open + 1, close);
            byte[] png = pngs.get(file);
            if (png == null) {
                throw new IllegalStateException("no PNG rendered for " + file);
            }
            page.append(body, at, open).append(Base64.getEncoder().encodeToString(png));
            at = close + 1;
        }
        page.append(body, at, body.length()).append("</body>\n</html>\n");
        return page.toString();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\u0001' -> sb.append(' '); // MARK
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isNumber(String s) {
        return s.matches("[-+]?[0-9][0-9.,e+-]*( ± [0-9.e+-]+)?%?");
    }
}
