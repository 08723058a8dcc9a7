import { main } from './main.js';

// The child gets the environment as it was given to us; the tweak below is for this process only.
const env = { ...process.env };
// Flushing many files at once (layering) is bound by how many fsyncs run in parallel; libuv's
// default pool of 4 threads halves that throughput. Read by libuv when the pool first starts.
process.env.UV_THREADPOOL_SIZE ??= '16';

void main(process.argv.slice(2), env).then((code) => {
  process.exitCode = code;
  // The process still ends when nothing is left pending, but then skips Node's teardown: that
  // restores the default action of the signals the supervisor handles, and a TERM arriving in its
  // milliseconds would end the process with 143 instead of the child's exit code. Everything this
  // program prints is written synchronously, so nothing is cut short. Registered last, it runs
  // after every other 'exit' listener.
  // eslint-disable-next-line no-restricted-syntax -- the entry, once the event loop has drained
  process.once('exit', () => process.exit());
});
