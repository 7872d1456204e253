/**
 * `@depin/client/treasury`: the treasury program's generated client on its own (accounts with their
 * decoders and fetchers, instruction builders, types, event codecs, errors, PDAs): the same
 * module as the `treasury` namespace of `@depin/client`. A bundle that imports one program this
 * way leaves the other programs' generated code out.
 */
export * from './generated/treasury/index.js';
