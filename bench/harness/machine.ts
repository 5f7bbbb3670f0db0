import { arch, cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';

/** What the numbers were measured on: ratios travel between machines, absolute numbers do not. */
export interface MachineInfo {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryBytes: number;
  readonly freeMemoryBytes: number;
  /** 1, 5 and 15 minute load averages at the start: above the core count, expect noise. */
  readonly loadAverage: readonly number[];
}

export function machineInfo(): MachineInfo {
  const processors = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${platform()} ${release()}`,
    arch: arch(),
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    totalMemoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}
