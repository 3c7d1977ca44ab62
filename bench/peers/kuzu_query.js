// bench/peers/kuzu_query.js — the Kuzu side of bench/query_bench: load the
// benchmark graph's CSV files once into a fresh Kuzu database (COPY FROM,
// not timed as a query), then run each query of a plan file N times,
// synchronously, one at a time, timing each execution (prepared statement
// executed with its parameters, and every row fetched).
//
//   node kuzu_query.js DBDIR PERSON_CSV KNOWS_CSV PLAN_JSON OUT_JSON
//
// PLAN_JSON (written by query_bench):
//   {"queries":[{"name":"lookup","cypher":"MATCH ...","warmup":W,
//                "result":"rows"|"first",        // what to add to the checksum
//                "params":[{"n":"p..."}, ...]}]}
// The first W parameter sets of a query are run untimed (warm-up); the
// rest are timed.  OUT_JSON receives
//   {"ok":true,"version":"0.11.3","threads":T,"load_s":S,
//    "queries":{"lookup":{"us":[...],"cpu_s":S,"wall_s":S,"checksum":N}}}
// or {"ok":false,"error":"why"}; one line {"ok":...} is also printed.
"use strict";

const fs = require("fs");

function finish(outPath, obj) {
  if (outPath) fs.writeFileSync(outPath, JSON.stringify(obj) + "\n");
  process.stdout.write(JSON.stringify({ ok: obj.ok, error: obj.error }) + "\n");
}

function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function load(kuzu, dbdir, personCsv, knowsCsv) {
  const path = require("path");
  const q = (s) => "'" + s.replace(/'/g, "''") + "'";
  const db = new kuzu.Database(path.join(dbdir, "kuzu-query.db"));
  const conn = new kuzu.Connection(db);
  const run = (stmt) => {
    const r = conn.querySync(stmt);
    return (Array.isArray(r) ? r[r.length - 1] : r).getAllSync();
  };
  run("CREATE NODE TABLE Person(name STRING, age INT32, city STRING, PRIMARY KEY (name))");
  run("CREATE REL TABLE Knows(FROM Person TO Person)");
  const t0 = process.hrtime.bigint();
  run(`COPY Person FROM ${q(personCsv)} (header=true)`);
  run(`COPY Knows FROM ${q(knowsCsv)} (header=true)`);
  const loadS = Number(process.hrtime.bigint() - t0) / 1e9;
  return { db, conn, loadS };
}

// Run one query of the plan; return its timings and checksum.
function timeQuery(conn, spec) {
  const stmt = conn.prepareSync(spec.cypher);
  if (!stmt.isSuccess()) throw new Error(spec.name + ": " + stmt.getErrorMessage());
  const us = [];
  let checksum = 0, wall = 0, cpuS = 0;
  spec.params.forEach((p, i) => {
    const c0 = cpu();
    const t0 = process.hrtime.bigint();
    const rows = conn.executeSync(stmt, p).getAllSync();
    const t1 = process.hrtime.bigint();
    const c1 = cpu();
    if (i < spec.warmup) return;
    us.push(Number(t1 - t0) / 1e3);
    wall += Number(t1 - t0) / 1e9;
    cpuS += c1 - c0;
    if (spec.result === "first") {
      const r = rows[0] || {};
      checksum += Number(r[Object.keys(r)[0]] || 0);
    } else {
      checksum += rows.length;
    }
  });
  return { us, cpu_s: cpuS, wall_s: wall, checksum };
}

function main() {
  const [dbdir, personCsv, knowsCsv, planPath, outPath] = process.argv.slice(2);
  if (!outPath) {
    finish(null, { ok: false, error: "usage: kuzu_query.js DBDIR PERSON_CSV KNOWS_CSV PLAN_JSON OUT_JSON" });
    return 2;
  }
  let kuzu;
  try {
    kuzu = require("kuzu");
  } catch (e) {
    finish(outPath, { ok: false, error: "module kuzu not installed (run bench/peers/setup.sh): " + e.message.split("\n")[0] });
    return 1;
  }
  try {
    const plan = JSON.parse(fs.readFileSync(planPath, "utf8"));
    const { db, conn, loadS } = load(kuzu, dbdir, personCsv, knowsCsv);
    const queries = {};
    for (const spec of plan.queries) queries[spec.name] = timeQuery(conn, spec);
    conn.closeSync();
    db.closeSync();
    finish(outPath, {
      ok: true,
      version: kuzu.VERSION,
      threads: require("os").cpus().length,
      load_s: loadS,
      queries,
    });
    return 0;
  } catch (e) {
    finish(outPath, { ok: false, error: String(e && e.message ? e.message : e).split("\n")[0] });
    return 1;
  }
}

process.exitCode = main();
