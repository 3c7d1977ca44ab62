// bench/peers/kuzu_load.js — the Kuzu side of bench/load_bench: bulk-load
// the benchmark graph's CSV files into a fresh Kuzu database with COPY FROM,
// through Kuzu's synchronous Node.js API, and print one JSON line:
//
//   {"ok":true,"version":"0.11.3","person_s":S,"knows_s":S,
//    "person_cpu_s":S,"knows_cpu_s":S,"nodes":N,"edges":E,"max_rss_kib":K,
//    "threads":T}
//   {"ok":false,"error":"why"}
//
// Only the two COPY statements are timed (not opening the database, not
// creating the tables, not the counts that check the result).
//
//   node kuzu_load.js DBDIR PERSON_CSV KNOWS_CSV
"use strict";

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function main() {
  const [dbdir, personCsv, knowsCsv] = process.argv.slice(2);
  if (!dbdir || !personCsv || !knowsCsv) {
    out({ ok: false, error: "usage: kuzu_load.js DBDIR PERSON_CSV KNOWS_CSV" });
    return 2;
  }
  let kuzu;
  try {
    kuzu = require("kuzu");
  } catch (e) {
    out({ ok: false, error: "module kuzu not installed (run bench/peers/setup.sh): " + e.message.split("\n")[0] });
    return 1;
  }
  const path = require("path");
  const os = require("os");
  const q = (s) => "'" + s.replace(/'/g, "''") + "'";

  const db = new kuzu.Database(path.join(dbdir, "kuzu.db"));
  const conn = new kuzu.Connection(db);
  const run = (stmt) => {
    const r = conn.querySync(stmt);
    const rows = (Array.isArray(r) ? r[r.length - 1] : r).getAllSync();
    return rows;
  };
  run("CREATE NODE TABLE Person(name STRING, age INT32, city STRING, PRIMARY KEY (name))");
  run("CREATE REL TABLE Knows(FROM Person TO Person)");

  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const c0 = cpu();
  const t0 = process.hrtime.bigint();
  run(`COPY Person FROM ${q(personCsv)} (header=true)`);
  const t1 = process.hrtime.bigint();
  const c1 = cpu();
  run(`COPY Knows FROM ${q(knowsCsv)} (header=true)`);
  const t2 = process.hrtime.bigint();
  const c2 = cpu();

  const nodes = Number(run("MATCH (p:Person) RETURN count(*) AS n")[0].n);
  const edges = Number(run("MATCH ()-[k:Knows]->() RETURN count(*) AS n")[0].n);
  conn.closeSync();
  db.closeSync();
  out({
    ok: true,
    version: kuzu.VERSION,
    person_s: Number(t1 - t0) / 1e9,
    knows_s: Number(t2 - t1) / 1e9,
    person_cpu_s: c1 - c0,
    knows_cpu_s: c2 - c1,
    nodes,
    edges,
    max_rss_kib: process.resourceUsage().maxRSS,
    threads: os.cpus().length,
  });
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  out({ ok: false, error: String(e && e.message ? e.message : e).split("\n")[0] });
  process.exitCode = 1;
}
