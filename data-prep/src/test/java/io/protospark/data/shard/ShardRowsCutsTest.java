package io.protospark.data.shard;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ShardRows#cuts}: where a shard file's rows are cut, worked out by hand. */
class ShardRowsCutsTest {
    /** Six row groups of 100 rows. */
    private static final long[] SIX = {100, 200, 300, 400, 500, 600};

    @Test
    void withEnoughRowGroupsEveryCutIsARowGroupBoundaryNearestItsEqualShare() {
        assertArrayEquals(new long[] {0, 600}, ShardRows.cuts(SIX, 600, 1));
        assertArrayEquals(new long[] {0, 300, 600}, ShardRows.cuts(SIX, 600, 2));
        assertArrayEquals(new long[] {0, 200, 400, 600}, ShardRows.cuts(SIX, 600, 3));
        // shares of 150 rows: 150 and 450 lie halfway between two boundaries and go to the lower one
        assertArrayEquals(new long[] {0, 100, 300, 400, 600}, ShardRows.cuts(SIX, 600, 4));
        assertArrayEquals(new long[] {0, 100, 200, 300, 400, 500, 600}, ShardRows.cuts(SIX, 600, 6));
        // uneven row groups: the boundary nearest each share, and never two pieces on one boundary
        assertArrayEquals(new long[] {0, 10, 20, 1000}, ShardRows.cuts(new long[] {10, 20, 1000}, 1000, 3));
        assertArrayEquals(new long[] {0, 900, 950, 1000},
                ShardRows.cuts(new long[] {900, 950, 960, 1000}, 1000, 3));
    }

    @Test
    void withFewerRowGroupsEachIsCutIntoItsShareOfEqualRowRanges() {
        // 8 pieces over 6 equal groups: one each, the two left over to the first groups (equal remainders)
        assertArrayEquals(new long[] {0, 50, 100, 150, 200, 300, 400, 500, 600}, ShardRows.cuts(SIX, 600, 8));
        // one row group (a shard written before row groups were sized): equal row ranges
        assertArrayEquals(new long[] {0, 25, 50, 75, 100}, ShardRows.cuts(new long[] {100}, 100, 4));
        // proportional: 900 and 100 rows into 5 pieces -> 4 and 1 (the small group keeps at least one)
        assertArrayEquals(new long[] {0, 225, 450, 675, 900, 1000},
                ShardRows.cuts(new long[] {900, 1000}, 1000, 5));
        // a tiny group still gets its piece, and a group never gets more pieces than rows
        assertArrayEquals(new long[] {0, 1, 2, 3}, ShardRows.cuts(new long[] {1, 3}, 3, 3));
        long[] c = ShardRows.cuts(new long[] {1, 1000}, 1000, 10);
        assertEquals(11, c.length);
        assertEquals(1, c[1], "the one-row group is one piece");
    }

    @Test
    void aLimitCutsTheRowGroupsItEndsIn() {
        // the first 250 rows of SIX: groups end at 100, 200 and (cut short) 250
        assertArrayEquals(new long[] {0, 100, 250}, ShardRows.cuts(SIX, 250, 2));
        assertArrayEquals(new long[] {0, 100, 200, 250}, ShardRows.cuts(SIX, 250, 3));
        assertArrayEquals(new long[] {0, 50, 100, 150, 200, 250}, ShardRows.cuts(SIX, 250, 5));
    }

    @Test
    void piecesAreAscendingCoverEveryRowAndStayWithinOneRowGroupWhenCutInside() {
        long[][] layouts = {SIX, {7}, {3, 4, 100, 101, 500}, {128, 256, 384, 512, 640, 768, 777}};
        for (long[] groups : layouts) {
            long n = groups[groups.length - 1];
            for (int pieces = 1; pieces <= Math.min(n, 40); pieces++) {
                long[] c = ShardRows.cuts(groups, n, pieces);
                assertEquals(pieces + 1, c.length);
                assertEquals(0, c[0]);
                assertEquals(n, c[pieces]);
                for (int i = 0; i < pieces; i++) {
                    assertTrue(c[i] < c[i + 1], "an empty piece at " + i + " of " + java.util.Arrays.toString(c));
                    if (pieces <= groups.length) {
                        assertTrue(i == 0 || java.util.Arrays.binarySearch(groups, c[i]) >= 0,
                                c[i] + " is no row-group boundary of " + java.util.Arrays.toString(groups));
                    } else {
                        long from = c[i];
                        long to = c[i + 1];
                        assertTrue(java.util.Arrays.stream(groups).noneMatch(e -> e > from && e < to),
                                "piece [" + from + ", " + to + ") spans a row-group boundary");
                    }
                }
            }
        }
    }

    @Test
    void refusesMorePiecesThanRows() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShardRows.cuts(SIX, 5, 6));
        assertTrue(e.getMessage().contains("5 rows into 6 pieces"), e.getMessage());
    }
}
