// No route declares a JSON schema (bodies are checked by our own decoders, answers are
// serialized with JSON.stringify), so fastify's default schema compilers (ajv and
// fast-json-stringify, 113 modules, ~1.2 MiB of heap and 2-3 MiB RSS at rest) are never
// loaded: fastify requires them only when no compilersFactory is given.

/** Fastify's `schemaController` option for an app whose routes have no schemas. */
export const NO_SCHEMA_COMPILERS = {
  compilersFactory: {
    buildValidator: noSchemaCompiler('validator'),
    buildSerializer: noSchemaCompiler('serializer'),
  },
};

function noSchemaCompiler(kind: string): () => () => never {
  return () => () => {
    throw new Error(`no ${kind} compiler: the injector's routes take no JSON schema; check the body in the route instead`);
  };
}
