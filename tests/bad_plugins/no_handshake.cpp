// A shared library that is not a tickcast plugin: it exports a symbol, but
// not the handshake the loader looks for.
extern "C" __attribute__((visibility("default"))) int some_function() { return 42; }
