// Stands in for @stdlib/assert-has-generator-support in the browser build (vite.config.ts alias;
// CommonJS, as the stdlib modules that require() it): the original probes with eval(), which the
// app's Content-Security-Policy (no 'unsafe-eval') blocks and reports. Every browser the app
// supports has generator functions, so the answer is fixed to what the probe finds in Node, where
// the stdlib kernels (ASR's gamma functions) are tested.
'use strict';
module.exports = function hasGeneratorSupport() {
  return true;
};
