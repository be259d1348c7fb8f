// Crash safety of `fcpgw serve`: several connections send without pause while the gateway is
// killed with SIGKILL at random moments, 20 times, and restarted on the same journal; the
// default route delivers to the outbox directory meanwhile, so kills land in the middle of
// deliveries too. After each restart the messages whose answer was lost are sent again (as a
// real sender would). At the end: every message that got AA is in the journal exactly once,
// the journal passes PRAGMA integrity_check, and after the backlog drains every acknowledged
// message is in the outbox exactly once (one file per delivery), written in receipt order
// within its appointment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR, tempDir } from '../integration/lib.mjs';
import { er7, field, integrity, mllpConnect, setMsh, sql, startGateway } from '../integration/gateway.mjs';

const BOOKING = er7(fs.readFileSync(path.join(SOURCE_DIR, 'config/samples/siu-s12-fcp-booking.hl7'), 'utf8'));
const KILLS = Number(process.env.FCPGW_CRASH_KILLS || 20);
const CONNECTIONS = 4;

test(`nothing acknowledged is lost across ${KILLS} SIGKILLs`, { timeout: 600_000 }, async () => {
  const tmp = tempDir();
  const acked = new Set(); // control ids that got AA
  const unanswered = new Set(); // sent, answer not seen (lost with the process)
  let next = 0;
  const KEYS = 40; // appointments: messages of one go out in order
  const keyOf = (id) => `APPT-${Number(id.split('-').pop()) % KEYS}`;
  const message = (id) =>
    setMsh(setMsh(setMsh(BOOKING, 10, id), 15, ''), 16, '')
      .split('\r')
      .map((s) => (s.startsWith('SCH|') ? s.split('|').map((f, i) => (i === 1 || i === 2 ? keyOf(id) : f)).join('|') : s))
      .join('\r');
  try {
    let journal;
    for (let round = 0; round <= KILLS; round++) {
      const gw = await startGateway({ cwd: tmp.dir, sets: ['listeners.http.enabled=false'] });
      journal = gw.journal;
      let stop = false;
      const resend = [...unanswered];
      const worker = async (w) => {
        let c;
        try {
          c = await mllpConnect(gw.mllp);
        } catch {
          return;
        }
        while (!stop) {
          const id = resend.length ? resend.pop() : `CRASH-${w}-${next++}`;
          unanswered.add(id);
          let ack;
          try {
            ack = await c.request(message(id), 5000);
          } catch {
            return; // killed: the answer is lost, the message stays in `unanswered`
          }
          assert.equal(field(ack, 'MSA', 2), id);
          assert.equal(field(ack, 'MSA', 1), 'AA', ack);
          unanswered.delete(id);
          acked.add(id);
        }
        c.end();
      };
      const workers = Array.from({ length: CONNECTIONS }, (_, w) => worker(w));
      if (round < KILLS) {
        await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 400)));
        await gw.kill();
        await Promise.all(workers);
      } else {
        // Last round: let the resends finish, then stop cleanly.
        await new Promise((r) => setTimeout(r, 500));
        stop = true;
        await Promise.all(workers);
        const open = () => sql(journal, "SELECT count(*) FROM deliveries WHERE state IN ('waiting', 'ready')")[0][0];
        for (let i = 0; i < 1200 && open() > 0; i++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(open(), 0, 'the backlog drained');
        assert.equal(await gw.stop(), 0, gw.stderr());
      }
    }
    console.log(`${acked.size} messages acknowledged across ${KILLS} kills; ${unanswered.size} left unanswered at the end`);
    assert.ok(acked.size > KILLS * 10, `only ${acked.size} messages acknowledged`);
    assert.equal(integrity(journal), 'ok');
    const counts = new Map(sql(journal, "SELECT control_id, count(*) FROM messages WHERE state IN ('accepted', 'delivered') GROUP BY control_id"));
    const missing = [...acked].filter((id) => !counts.has(id));
    const twice = [...counts].filter(([, n]) => n !== 1);
    assert.deepEqual(missing, [], 'acknowledged but not journaled');
    assert.deepEqual(twice, [], 'journaled more than once');

    // At the receiver: one file per acknowledged message, none twice, none half-written.
    const outbox = path.join(tmp.dir, 'var', 'outbox');
    const files = fs.readdirSync(outbox);
    assert.deepEqual(files.filter((f) => f.startsWith('.')), [], 'no temporary files left');
    const byId = new Map();
    for (const f of files) {
      const id = f.match(/-(CRASH-\d+-\d+)\.json$/)[1];
      byId.set(id, [...(byId.get(id) || []), f]);
      JSON.parse(fs.readFileSync(path.join(outbox, f), 'utf8'));
    }
    assert.deepEqual([...acked].filter((id) => !byId.has(id)), [], 'acknowledged but not delivered');
    assert.deepEqual([...byId].filter(([, fs_]) => fs_.length !== 1), [], 'delivered more than once');
    // Within a key, the files were written in the order the messages were received.
    const lastByKey = new Map();
    for (const f of [...files].sort()) {
      const key = keyOf(f.match(/-(CRASH-\d+-\d+)\.json$/)[1]);
      const t = fs.statSync(path.join(outbox, f), { bigint: true }).mtimeNs;
      assert.ok(!lastByKey.has(key) || lastByKey.get(key) <= t, `order within ${key} at ${f}`);
      lastByKey.set(key, t);
    }
  } finally {
    tmp.cleanup();
  }
});
