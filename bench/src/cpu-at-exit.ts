// Preloaded (node -r) into a process a bench times: at its exit it writes the CPU time it used
// (user + system, microseconds) to stderr as "ORZO_BENCH_CPU_US <n>", for the bench to read.
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`\nORZO_BENCH_CPU_US ${user + system}\n`);
});
