// Prints a Parquet file's rows as JSON (longs as numbers), for checking evaluate's output without pyarrow:
//   node bench/metrics/read_parquet.mjs FILE
// Needs `npm install hyparquet hyparquet-compressors` in the directory named by HYPARQUET_DIR.
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const dir = process.env.HYPARQUET_DIR
if (!dir) {
  console.error('set HYPARQUET_DIR to a directory holding node_modules/hyparquet and hyparquet-compressors')
  process.exit(2)
}
const load = async (name, entry) => import(pathToFileURL(path.join(dir, 'node_modules', name, 'src', entry)).href)
const { parquetReadObjects, asyncBufferFromFile } = await load('hyparquet', 'node.js')
const { compressors } = await load('hyparquet-compressors', 'index.js')
const file = await asyncBufferFromFile(process.argv[2])
const rows = await parquetReadObjects({ file, compressors })
process.stdout.write(JSON.stringify(rows, (k, v) => (typeof v === 'bigint' ? Number(v) : v)))
