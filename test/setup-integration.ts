// Integration tests talk to real servers: allow them time (per-project testTimeout is not honoured).
jest.setTimeout(120_000);
