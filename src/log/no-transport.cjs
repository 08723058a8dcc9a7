// Stand-in for pino's worker-thread transport modules, which this program never uses.
'use strict';
module.exports = function noTransport() {
  throw new Error('pino transports are not available in this build');
};
