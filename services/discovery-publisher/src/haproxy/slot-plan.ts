/** Where a replica is routed in a backend: its server slot and the address set there. */
export interface SlotAssignment {
  slot: number;
  host: string;
  port: number;
  weight?: number;
}

export interface SlotTarget {
  replicaId: string;
  host: string;
  port: number;
  /** The instance's weight (soa-configs `weight`, 0-256 in HAProxy); absent: HAProxy's own (1). */
  weight?: number;
}

export interface SlotPlan {
  /** replicaId -> assignment after the commands ran. */
  next: Map<string, SlotAssignment>;
  /** Runtime API commands, removals first: a freed slot may be reused by an addition. */
  commands: string[];
  /** Replicas left out because every slot is taken. */
  overflow: string[];
  /** The free slots that were used before, the longest freed first (pass it to the next plan). */
  freed: number[];
}

/**
 * What to tell HAProxy so backend `backend` routes to exactly `desired`: slots of replicas no
 * longer desired go to maintenance, new replicas take a free slot, a moved replica
 * gets its new address, a replica whose weight changed its new weight. With `full` (after a start, reload or adoption, when HAProxy's slots
 * may not be what we last set) every desired slot is set again and every other one is put in
 * maintenance, so an adopted HAProxy never keeps routing to a replica that left meanwhile.
 */
export function planSlots(
  backend: string,
  current: ReadonlyMap<string, SlotAssignment>,
  desired: readonly SlotTarget[],
  slots: number,
  full: boolean,
  /** The free slots used before, the longest freed first (the last plan's `freed`). */
  freed: readonly number[] = [],
): SlotPlan {
  const wanted = new Map(desired.map((d) => [d.replicaId, d]));
  const next = new Map<string, SlotAssignment>();
  const commands: string[] = [];
  const overflow: string[] = [];
  const server = (slot: number) => `${backend}/slot${slot}`;
  const freedNow: number[] = [];
  for (const [replicaId, a] of current) {
    if (wanted.has(replicaId)) next.set(replicaId, a);
    else {
      if (!full) commands.push(`set server ${server(a.slot)} state maint`);
      freedNow.push(a.slot);
    }
  }
  const used = new Set([...next.values()].map((a) => a.slot));
  // A new replica takes a slot never used (the lowest), else the one freed longest ago: a slot
  // just freed keeps its drained replica's address while that replica's sessions finish, and
  // the acknowledged drain counts sessions by address (drain-state.ts), so giving the slot a
  // new address at once would hide them and confirm the drain early.
  const recycled = [...freed.filter((slot) => !freedNow.includes(slot)), ...freedNow];
  const order = [...Array.from({ length: slots }, (_, i) => i + 1).filter((i) => !recycled.includes(i)), ...recycled];
  for (const d of [...wanted.values()].sort((a, b) => a.replicaId.localeCompare(b.replicaId))) {
    const had = next.get(d.replicaId);
    const weight = d.weight === undefined ? undefined : Math.min(256, Math.max(0, Math.round(d.weight)));
    if (had && had.host === d.host && had.port === d.port && had.weight === weight && !full) continue;
    let slot = had?.slot;
    if (slot === undefined) {
      slot = order.find((i) => !used.has(i));
      if (slot === undefined) {
        overflow.push(d.replicaId);
        continue;
      }
      used.add(slot);
    }
    next.set(d.replicaId, { slot, host: d.host, port: d.port, ...(weight === undefined ? {} : { weight }) });
    commands.push(`set server ${server(slot)} addr ${d.host} port ${d.port}`);
    if (weight !== undefined) commands.push(`set server ${server(slot)} weight ${weight}`);
    commands.push(`set server ${server(slot)} state ready`);
  }
  if (full) {
    for (let i = 1; i <= slots; i++) if (!used.has(i)) commands.unshift(`set server ${server(i)} state maint`);
  }
  return { next, commands, overflow, freed: recycled.filter((slot) => !used.has(slot)) };
}
