"""TinyFormer Python helpers: test-fixture generation (fixtures.py, needs torch)
and numpy-only .npy utilities used by the tests (npy_tools.py)."""
