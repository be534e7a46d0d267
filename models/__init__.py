"""Python reference for the project: trainer, sparse methods, formats and bit-exact golden arithmetic.

Pure numpy. Nothing here imports cocotb or pyuvm, so it runs and tests without a simulator.
"""
