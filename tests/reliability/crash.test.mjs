// Crash safety of `fcpgw serve`: several connections send without pause while the gateway is
// killed with SIGKILL at random moments, 20 times, and restarted on the same journal. After
// each restart the messages whose answer was lost are sent again (as a real sender would).
// At the end: every message that got AA is in the journal exactly once, and the journal passes
// PRAGMA integrity_check.
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
  const message = (id) => setMsh(setMsh(setMsh(BOOKING, 10, id), 15, ''), 16, '');
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
  } finally {
    tmp.cleanup();
  }
});
