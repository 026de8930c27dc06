// Reads a Tempora Parquet export with DuckDB (@duckdb/node-api) as an analyst would, and checks
// it against the expectations the Java test passes as JSON:
//   node export-duckdb.js DIR '{"shard":0,"records":N,"golden":G,"versions":V,"streamed":true}'
// Prints one "ok <check>" line per passing check and "FAIL <check>: ..." otherwise (exit 1).
const { DuckDBInstance } = require('@duckdb/node-api');
const path = require('path');
const fs = require('fs');

const dir = process.argv[2];
const want = JSON.parse(process.argv[3]);
let failed = false;

// JSON for messages: DuckDB returns BIGINT/UBIGINT values as BigInt.
function show(v) {
  return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() : x));
}

function check(name, cond, detail) {
  if (cond) {
    console.log('ok ' + name);
  } else {
    failed = true;
    console.log('FAIL ' + name + ': ' + detail);
  }
}

async function rows(conn, sql) {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS();
}

async function main() {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const file = (t) => "'" + path.join(dir, t + '-shard-' + want.shard + '.parquet') + "'";

  const rec = await rows(conn, 'SELECT count(*) AS n FROM read_parquet(' + file('records') + ')');
  check('records rows', Number(rec[0].n) === want.records, show(rec));

  const types = await rows(
    conn,
    'SELECT typeof(record_id) AS rid, typeof(entity_id) AS eid, typeof(valid_from) AS vf,' +
      ' typeof(version) AS v FROM read_parquet(' + file('records') + ') LIMIT 1');
  check(
    'unsigned ids',
    types[0].rid === 'UBIGINT' && types[0].eid === 'UBIGINT' && types[0].vf === 'BIGINT' &&
      types[0].v === 'INTEGER',
    show(types));

  const open = await rows(
    conn,
    'SELECT count(*) AS n FROM read_parquet(' + file('records') + ') WHERE valid_to IS NULL');
  check('unbounded ends are null', Number(open[0].n) === want.openEnded, show(open));

  const gold = await rows(
    conn,
    'SELECT count(*) AS n, count(DISTINCT entity_id) AS e FROM read_parquet(' + file('golden') + ')');
  check('golden rows', Number(gold[0].n) === want.golden, show(gold));

  // Every golden row's entity holds a record in the records file, and member_count matches.
  const join = await rows(
    conn,
    'SELECT count(*) AS bad FROM (SELECT g.entity_id, any_value(g.member_count) AS mc,' +
      ' count(DISTINCT r.record_id) AS members FROM read_parquet(' + file('golden') + ') g' +
      ' LEFT JOIN read_parquet(' + file('records') + ') r USING (entity_id)' +
      ' GROUP BY g.entity_id) WHERE members <> mc');
  check('golden joins records', Number(join[0].bad) === 0, show(join));

  if (want.versions !== undefined) {
    const v = await rows(
      conn,
      'SELECT count(*) AS n, count(*) FILTER (WHERE kind = \'DELETED\') AS d,' +
        ' count(*) FILTER (WHERE superseded_tx IS NULL) AS cur FROM read_parquet(' +
        file('versions') + ')');
    check('versions rows', Number(v[0].n) === want.versions && Number(v[0].d) === want.deleted,
      show(v));
  }

  if (want.streamed) {
    const multi = await rows(
      conn, "SELECT count(*) AS n FROM read_parquet('" + path.join(dir, 'golden-multi.parquet') + "')");
    check('golden-multi empty', Number(multi[0].n) === 0, show(multi));
  }
  const success = JSON.parse(fs.readFileSync(path.join(dir, '_SUCCESS'), 'utf8'));
  check('_SUCCESS', show(success).includes('"records-shard-' + want.shard + '.parquet":' +
    want.records), show(success));
  conn.closeSync();
}

main().then(
  () => process.exit(failed ? 1 : 0),
  (e) => {
    console.log('FAIL error: ' + (e && e.stack ? e.stack : e));
    process.exit(1);
  });
