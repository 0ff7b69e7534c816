// What client-node's KubeConfig (dist/config.js) imports from its generated API index,
// without the index: client-node-slim.ts points config.js's `./gen/index.js` here. The
// index also loads every generated API class and model (~25 MiB of heap) that `serve`
// never calls. If config.js starts importing another name, linking fails naming it, and
// test/cluster/client-node-slim.test.ts fails first.
export { createConfiguration } from '@kubernetes/client-node/dist/gen/configuration.js';
export { ServerConfiguration } from '@kubernetes/client-node/dist/gen/servers.js';

// Lets client-node-slim.ts tell that config.js was linked to this module.
(globalThis as Record<symbol, unknown>)[Symbol.for('sidecar-injector.client-node-slim')] = true;
