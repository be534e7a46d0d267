// No-Python throughput harness for an accelerator core with the common shell (AXI4-Lite CSRs,
// s_axis operand stream with tdest, m_axis result stream, irq). Built by scripts/bench.py with
//   verilator --cc --exe --build --prefix Vtop --top-module dense_top ... bench_harness.cpp
// from the same RTL sources and -G parameters as the cocotb runner. No cocotb, no VPI, no Python.
//
// Usage: Vtop <image> <out.hex> [--repeat N]
//
// Image: plain text written by Python, one command per line, numbers in hex without 0x (except
// counts and timeouts, which are decimal). Lines starting with '#' and blank lines are ignored.
//   W <addr> <data>          AXI4-Lite write (awaddr, wdata, wstrb = 0xF); waits for bresp
//   R <addr> <name>          AXI4-Lite read; the value is reported under <name>
//   F <tdest> <beats>        one operand frame on s_axis: the next <beats> lines are the beats,
//                            hex, most significant digit first; tlast on the last beat
//   C <cycles>               idle clock cycles
//   I <timeout>              wait for irq high, at most <timeout> cycles
//   D <beats> <timeout>      take one result frame of <beats> beats (tlast on the last) from
//                            m_axis, waiting at most <timeout> cycles. As in the testbench, the
//                            harness holds m_axis_tready = 1 from reset on and queues every
//                            accepted beat, so results stream out while CSRs are read.
//   T                        timing mark: the measured window starts here (first CSR write)
// DUT cycles are counted from T to the acceptance of the last result beat (the end of the last D);
// wall time from T to the end of the image (the counter reads after the results included), as the
// cocotb bench test counts cycles and times OpDriver.execute; process CPU time over the same span.
//
// Output: <out.hex> holds the result beats of the last repetition, one per line, hex, most
// significant digit first. stdout: human lines, then one line "BENCH_JSON {...}" with cycles,
// wall seconds per repetition and the values of every R command (last repetition).
// Exit status: 0 ok, 1 usage or image error, 2 protocol error or timeout, 3 repetitions differ.

#include <chrono>
#include <cstdint>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "Vtop.h"
#include "verilated.h"

double sc_time_stamp() { return 0; }

namespace {

// ------------------------------------------------------------------ wide-port helpers
// Verilator maps ports up to 32 bits to CData/SData/IData, up to 64 to QData, wider to VlWide<N>.
template <typename T> constexpr std::size_t port_words(const T &) { return sizeof(T) <= 4 ? 1 : sizeof(T) / 4; }
template <std::size_t N> constexpr std::size_t port_words(const VlWide<N> &) { return N; }

template <typename T> void port_set(T &port, const uint32_t *w) {
  if constexpr (sizeof(T) <= 4) port = static_cast<T>(w[0]);
  else port = static_cast<T>(w[0]) | (static_cast<T>(w[1]) << 32);
}
template <std::size_t N> void port_set(VlWide<N> &port, const uint32_t *w) {
  for (std::size_t i = 0; i < N; ++i) port[i] = w[i];
}
template <typename T> void port_get(const T &port, uint32_t *w) {
  w[0] = static_cast<uint32_t>(port);
  if constexpr (sizeof(T) > 4) w[1] = static_cast<uint32_t>(static_cast<uint64_t>(port) >> 32);
}
template <std::size_t N> void port_get(const VlWide<N> &port, uint32_t *w) {
  for (std::size_t i = 0; i < N; ++i) w[i] = port[i];
}

[[noreturn]] void die(int code, const std::string &msg) {
  std::fprintf(stderr, "bench_harness: %s\n", msg.c_str());
  std::exit(code);
}

// Hex text, most significant digit first -> little-endian 32-bit words (exactly `words` of them).
void parse_hex(const std::string &s, std::size_t words, uint32_t *out, int line) {
  std::memset(out, 0, words * 4);
  std::size_t bit = 0;
  for (std::size_t i = s.size(); i-- > 0;) {
    char c = s[i];
    uint32_t v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else die(1, "line " + std::to_string(line) + ": not a hex digit in beat '" + s + "'");
    if (v && bit / 32 >= words) die(1, "line " + std::to_string(line) + ": beat wider than the port");
    if (bit / 32 < words) out[bit / 32] |= v << (bit % 32);
    bit += 4;
  }
}

std::string to_hex(const uint32_t *w, std::size_t words) {
  std::string s;
  char buf[9];
  for (std::size_t i = words; i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%08x", w[i]);
    s += buf;
  }
  return s;
}

// ------------------------------------------------------------------ image
enum class Op { Write, Read, Frame, Idle, WaitIrq, Drain, Mark };

struct Cmd {
  Op op;
  uint64_t a = 0, b = 0;      // W: addr, data; R: addr; F: tdest, beats; C: cycles; I: timeout; D: beats, timeout
  std::string name;           // R
  std::size_t first_beat = 0; // F: index into the beat store
};

struct Image {
  std::vector<Cmd> cmds;
  std::vector<uint32_t> beats;  // every F beat, in_words words each
};

Image read_image(const char *path, std::size_t in_words) {
  std::ifstream f(path);
  if (!f) die(1, std::string("cannot open image ") + path);
  Image img;
  std::string text;
  int line = 0;
  auto next_line = [&](std::string &out) {
    while (std::getline(f, out)) {
      ++line;
      std::size_t p = out.find_first_not_of(" \t\r");
      if (p == std::string::npos || out[p] == '#') continue;
      out = out.substr(p, out.find_last_not_of(" \t\r") - p + 1);
      return true;
    }
    return false;
  };
  while (next_line(text)) {
    std::istringstream ss(text);
    std::string kind;
    ss >> kind;
    Cmd c{};
    bool ok = true;
    if (kind == "W") { c.op = Op::Write; ok = bool(ss >> std::hex >> c.a >> c.b); }
    else if (kind == "R") { c.op = Op::Read; ok = bool(ss >> std::hex >> c.a >> c.name); }
    else if (kind == "F") { c.op = Op::Frame; ok = bool(ss >> c.a >> c.b); }
    else if (kind == "C") { c.op = Op::Idle; ok = bool(ss >> c.a); }
    else if (kind == "I") { c.op = Op::WaitIrq; ok = bool(ss >> c.a); }
    else if (kind == "D") { c.op = Op::Drain; ok = bool(ss >> c.a >> c.b); }
    else if (kind == "T") { c.op = Op::Mark; }
    else die(1, std::string(path) + ":" + std::to_string(line) + ": unknown command '" + kind + "'");
    if (!ok) die(1, std::string(path) + ":" + std::to_string(line) + ": bad arguments: " + text);
    if (c.op == Op::Frame) {
      c.first_beat = img.beats.size() / in_words;
      img.beats.resize(img.beats.size() + c.b * in_words);
      for (uint64_t i = 0; i < c.b; ++i) {
        if (!next_line(text)) die(1, std::string(path) + ": image ends inside a frame");
        parse_hex(text, in_words, &img.beats[(c.first_beat + i) * in_words], line);
      }
    }
    img.cmds.push_back(std::move(c));
  }
  return img;
}

// ------------------------------------------------------------------ the bench
class Bench {
 public:
  explicit Bench(VerilatedContext *ctx) : top_(new Vtop(ctx, "top")) {
    in_words_ = port_words(top_->s_axis_tdata);
    out_words_ = port_words(top_->m_axis_tdata);
    top_->clk = 0;
    top_->rst_n = 0;
    top_->s_axil_awvalid = 0;
    top_->s_axil_wvalid = 0;
    top_->s_axil_bready = 1;
    top_->s_axil_arvalid = 0;
    top_->s_axil_rready = 1;
    top_->s_axil_awprot = 0;
    top_->s_axil_arprot = 0;
    top_->s_axil_wstrb = 0xF;
    top_->s_axis_tvalid = 0;
    top_->s_axis_tlast = 0;
    top_->s_axis_tdest = 0;
    top_->m_axis_tready = 0;
    top_->eval();
  }
  ~Bench() { top_->final(); }

  std::size_t in_words() const { return in_words_; }
  std::size_t out_words() const { return out_words_; }
  uint64_t cycle() const { return cycle_; }

  // One clock period; inputs set before the call are sampled at its rising edge. The result
  // stream is monitored here, every cycle, like the testbench's AxiStreamSink: tready is high from
  // reset on and accepted beats queue up until a D command takes them. Callers that change inputs
  // call eval() before tick(), so the handshake is sampled on settled pre-edge values.
  void tick() {
    if (top_->m_axis_tvalid && top_->m_axis_tready) {
      rx_.resize(rx_.size() + out_words_);
      port_get(top_->m_axis_tdata, &rx_[rx_.size() - out_words_]);
      rx_last_.push_back(top_->m_axis_tlast);
      if (top_->m_axis_tlast && !rx_frames_) rx_frame_end_ = rx_last_.size();
      rx_frames_ += top_->m_axis_tlast;
    }
    top_->clk = 1;
    top_->eval();
    ++cycle_;
    top_->clk = 0;
    top_->eval();
  }

  void reset(int cycles) {
    top_->rst_n = 0;
    for (int i = 0; i < cycles; ++i) tick();
    top_->rst_n = 1;
    tick();
    top_->m_axis_tready = 1;
    top_->eval();
  }

  void axil_write(uint64_t addr, uint64_t data) {
    top_->s_axil_awaddr = addr;
    top_->s_axil_awvalid = 1;
    top_->s_axil_wdata = static_cast<uint32_t>(data);
    top_->s_axil_wstrb = 0xF;
    top_->s_axil_wvalid = 1;
    bool b_done = false;
    for (int t = 0; !b_done; ++t) {
      if (t > kCsrTimeout) die(2, "AXI4-Lite write to 0x" + hex(addr) + ": no response within " + std::to_string(kCsrTimeout) + " cycles");
      top_->eval();  // ready may depend on the valids just set
      bool aw = top_->s_axil_awvalid && top_->s_axil_awready;
      bool w = top_->s_axil_wvalid && top_->s_axil_wready;
      bool b = top_->s_axil_bvalid && top_->s_axil_bready;
      if (b && top_->s_axil_bresp != 0) die(2, "AXI4-Lite write to 0x" + hex(addr) + ": bresp " + std::to_string(top_->s_axil_bresp));
      tick();
      if (aw) top_->s_axil_awvalid = 0;
      if (w) top_->s_axil_wvalid = 0;
      b_done = b;
    }
  }

  uint32_t axil_read(uint64_t addr) {
    top_->s_axil_araddr = addr;
    top_->s_axil_arvalid = 1;
    for (int t = 0;; ++t) {
      if (t > kCsrTimeout) die(2, "AXI4-Lite read of 0x" + hex(addr) + ": no response within " + std::to_string(kCsrTimeout) + " cycles");
      top_->eval();
      bool ar = top_->s_axil_arvalid && top_->s_axil_arready;
      bool r = top_->s_axil_rvalid && top_->s_axil_rready;
      uint32_t data = top_->s_axil_rdata;
      if (r && top_->s_axil_rresp != 0) die(2, "AXI4-Lite read of 0x" + hex(addr) + ": rresp " + std::to_string(top_->s_axil_rresp));
      tick();
      if (ar) top_->s_axil_arvalid = 0;
      if (r) return data;
    }
  }

  void send_frame(uint64_t dest, const uint32_t *beats, uint64_t n) {
    const uint64_t timeout = 20 * n + 1000;  // as the testbench's OperandSource
    const uint64_t start = cycle_;
    top_->s_axis_tdest = static_cast<CData>(dest);
    for (uint64_t i = 0; i < n; ++i) {
      port_set(top_->s_axis_tdata, beats + i * in_words_);
      top_->s_axis_tlast = i + 1 == n;
      top_->s_axis_tvalid = 1;
      for (;;) {
        top_->eval();
        bool fire = top_->s_axis_tready;
        tick();
        if (fire) break;
        if (cycle_ - start > timeout) die(2, "s_axis frame to buffer " + std::to_string(dest) + ": no progress within " + std::to_string(timeout) + " cycles");
      }
    }
    top_->s_axis_tvalid = 0;
    top_->s_axis_tlast = 0;
  }

  void wait_irq(uint64_t timeout) {
    const uint64_t start = cycle_;
    while (!top_->irq) {
      if (cycle_ - start > timeout) die(2, "irq (job done or error): none within " + std::to_string(timeout) + " cycles");
      tick();
    }
  }

  // Waits until a whole result frame (tlast) is queued, then returns its n beats.
  void recv_frame(uint64_t n, uint64_t timeout, std::vector<uint32_t> &out) {
    const uint64_t start = cycle_;
    while (rx_frames_ == 0) {
      if (cycle_ - start > timeout) die(2, "m_axis result frame: " + std::to_string(rx_last_.size()) + " of " + std::to_string(n) + " beats within " + std::to_string(timeout) + " cycles");
      tick();
    }
    const std::size_t got = rx_frame_end_;
    if (got != n) die(2, "m_axis result frame: " + std::to_string(got) + " beats up to tlast, expected " + std::to_string(n));
    out.assign(rx_.begin(), rx_.begin() + got * out_words_);
    rx_.erase(rx_.begin(), rx_.begin() + got * out_words_);
    rx_last_.erase(rx_last_.begin(), rx_last_.begin() + got);
    if (--rx_frames_)
      for (std::size_t i = 0; i < rx_last_.size(); ++i)
        if (rx_last_[i]) { rx_frame_end_ = i + 1; break; }
  }

 private:
  static constexpr int kCsrTimeout = 200;  // as the testbench's CsrAgent
  static std::string hex(uint64_t v) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
    return buf;
  }
  std::unique_ptr<Vtop> top_;
  std::size_t in_words_ = 0, out_words_ = 0;
  uint64_t cycle_ = 0;
  std::vector<uint32_t> rx_;  // accepted result beats not yet taken by a D command
  std::vector<bool> rx_last_;
  std::size_t rx_frames_ = 0;     // whole frames (tlast seen) in rx_
  std::size_t rx_frame_end_ = 0;  // beats of the first whole frame
};

struct RepResult {
  uint64_t cycles = 0;        // mark to last result beat
  uint64_t all_cycles = 0;    // the whole command list
  double wall_s = 0;          // mark to the end of the command list
  double drain_wall_s = 0;    // mark to last result beat
  double all_wall_s = 0;      // the whole command list
  double cpu_s = 0;           // process CPU time, mark to the end of the command list
  std::vector<std::pair<std::string, uint32_t>> reads;
  std::vector<uint32_t> results;
};

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

RepResult run_image(Bench &bench, const Image &img) {
  using clk = std::chrono::steady_clock;
  RepResult r;
  double cpu_mark = cpu_now();
  const auto t_begin = clk::now();
  const uint64_t c_begin = bench.cycle();
  auto t_mark = t_begin, t_end = t_begin;
  uint64_t c_mark = c_begin, c_end = c_begin;
  bool have_mark = false;
  for (const Cmd &c : img.cmds) {
    switch (c.op) {
      case Op::Mark:
        t_mark = clk::now();
        cpu_mark = cpu_now();
        c_mark = bench.cycle();
        have_mark = true;
        break;
      case Op::Write: bench.axil_write(c.a, c.b); break;
      case Op::Read: r.reads.emplace_back(c.name, bench.axil_read(c.a)); break;
      case Op::Frame: bench.send_frame(c.a, &img.beats[c.first_beat * bench.in_words()], c.b); break;
      case Op::Idle: for (uint64_t i = 0; i < c.a; ++i) bench.tick(); break;
      case Op::WaitIrq: bench.wait_irq(c.a); break;
      case Op::Drain:
        bench.recv_frame(c.a, c.b, r.results);
        t_end = clk::now();
        c_end = bench.cycle();
        break;
    }
  }
  const auto t_done = clk::now();
  r.cpu_s = cpu_now() - cpu_mark;
  if (!have_mark) { t_mark = t_begin; c_mark = c_begin; }
  if (c_end == c_begin) { t_end = t_done; c_end = bench.cycle(); }  // no result frame
  r.cycles = c_end - c_mark;
  r.wall_s = std::chrono::duration<double>(t_done - t_mark).count();
  r.drain_wall_s = std::chrono::duration<double>(t_end - t_mark).count();
  r.all_cycles = bench.cycle() - c_begin;
  r.all_wall_s = std::chrono::duration<double>(t_done - t_begin).count();
  return r;
}

}  // namespace

int main(int argc, char **argv) {
  const char *image_path = nullptr, *out_path = nullptr;
  int repeat = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else if (a.rfind("+", 0) == 0) continue;  // plusargs are Verilator's
    else if (!image_path) image_path = argv[i];
    else if (!out_path) out_path = argv[i];
    else die(1, "usage: " + std::string(argv[0]) + " <image> <out.hex> [--repeat N]");
  }
  if (!image_path || !out_path || repeat < 1) die(1, "usage: " + std::string(argv[0]) + " <image> <out.hex> [--repeat N]");

  auto ctx = std::make_unique<VerilatedContext>();
  ctx->commandArgs(argc, argv);
  Bench bench(ctx.get());
  const auto t0 = std::chrono::steady_clock::now();
  Image img = read_image(image_path, bench.in_words());
  const double parse_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("harness: %zu commands, %zu operand beats of %zu bits, parsed in %.3f s\n", img.cmds.size(),
              img.beats.size() / bench.in_words(), bench.in_words() * 32, parse_s);

  bench.reset(5);
  std::vector<RepResult> reps;
  for (int i = 0; i < repeat; ++i) {
    reps.push_back(run_image(bench, img));
    const RepResult &r = reps.back();
    std::printf("harness: rep %d: %llu DUT cycles (first CSR write to last result beat), %.4f s wall = %.0f cycles/s, "
                "%.4f s CPU; whole image %llu cycles, %.4f s\n",
                i, static_cast<unsigned long long>(r.cycles), r.wall_s, r.cycles / r.wall_s, r.cpu_s,
                static_cast<unsigned long long>(r.all_cycles), r.all_wall_s);
    if (i > 0 && (r.results != reps[0].results || r.cycles != reps[0].cycles)) {
      std::fprintf(stderr, "bench_harness: repetition %d differs from repetition 0\n", i);
      return 3;
    }
  }
  const RepResult &last = reps.back();
  {
    std::ofstream out(out_path);
    if (!out) die(1, std::string("cannot write ") + out_path);
    const std::size_t n = last.results.size() / bench.out_words();
    for (std::size_t i = 0; i < n; ++i) out << to_hex(&last.results[i * bench.out_words()], bench.out_words()) << '\n';
  }
  std::printf("BENCH_JSON {\"cycles\": %llu, \"all_cycles\": %llu, \"result_beats\": %zu, \"parse_s\": %.6f, \"wall_s\": [",
              static_cast<unsigned long long>(last.cycles), static_cast<unsigned long long>(last.all_cycles),
              last.results.size() / bench.out_words(), parse_s);
  for (std::size_t i = 0; i < reps.size(); ++i) std::printf("%s%.6f", i ? ", " : "", reps[i].wall_s);
  std::printf("], \"cpu_s\": [");
  for (std::size_t i = 0; i < reps.size(); ++i) std::printf("%s%.6f", i ? ", " : "", reps[i].cpu_s);
  std::printf("], \"all_wall_s\": [");
  for (std::size_t i = 0; i < reps.size(); ++i) std::printf("%s%.6f", i ? ", " : "", reps[i].all_wall_s);
  std::printf("], \"reads\": {");
  for (std::size_t i = 0; i < last.reads.size(); ++i)
    std::printf("%s\"%s\": %u", i ? ", " : "", last.reads[i].first.c_str(), last.reads[i].second);
  std::printf("}}\n");
  return 0;
}
