// Stand-in for the pino modules this program never uses: worker-thread transports and sonic-boom
// (pino.destination). Logs go to fd 2 through our own synchronous stream, so loading them would only
// cost start-up time. Anything that reaches one of these fails loudly.
'use strict';
module.exports = class PinoPartUnavailable {
  constructor() {
    throw new Error('pino transports and destinations are not available in this build');
  }
};
