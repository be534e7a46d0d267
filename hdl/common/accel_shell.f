// The accelerator shell's RTL, in compile order: every core's build and lint takes these
// (verif/common/cores.py prepends them to a manifest's own sources). One file a line.
hdl/common/sync_fifo.sv
hdl/common/sram_1r1w.sv
hdl/common/axis_loader.sv
hdl/common/buf_drain.sv
hdl/common/accel_counters.sv
hdl/common/axi_channel_check.sv
hdl/common/axil_resp_check.sv
hdl/common/axis_frame_check.sv
hdl/common/accel_shell.sv
