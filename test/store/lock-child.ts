// A process that tries to take the data directory lock (for data-dir-lock.test.ts): prints `won` and holds the lock
// until its stdin closes, or prints `refused <pid of the holder>` and exits.
import { acquireDataDirLock, DataDirInUseError } from '../../src/store/data-dir-lock.js';

const [dataDir, startAt] = process.argv.slice(2) as [string, string];
// Start together: every child waits for the same moment, so the attempts overlap.
while (Date.now() < Number(startAt)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
try {
  const lock = acquireDataDirLock(dataDir);
  process.stdout.write('won\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    lock.release();
    process.exit(0);
  });
} catch (error) {
  if (!(error instanceof DataDirInUseError)) throw error;
  process.stdout.write(`refused ${error.holder.pid}\n`);
}
