/**
 * One measured figure: a fixed metric name, its value and unit, the target it is held to and whether it
 * met it, plus any details. A missed target is a figure to report, never a failure of the bench.
 */
export interface Target {
  /** How the value compares with the target to meet it. */
  op: '<=' | '<' | '>=' | '>';
  value: number;
}

export interface Figure {
  metric: string;
  /** null when the figure could not be measured (see `error`). */
  value: number | null;
  unit: string;
  /** e.g. "<= 15", or null when the figure has none. */
  target: string | null;
  /** null when there is no target or no value. */
  met: boolean | null;
  /** Why the figure has no value. */
  error?: string;
  [detail: string]: unknown;
}

export function meets(value: number, target: Target): boolean {
  switch (target.op) {
    case '<=':
      return value <= target.value;
    case '<':
      return value < target.value;
    case '>=':
      return value >= target.value;
    case '>':
      return value > target.value;
  }
}

/** Rounds to `digits` significant decimals without turning small values into 0. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return Number(value.toFixed(Math.min(decimals, 12)));
}

export function figure(
  metric: string,
  value: number,
  unit: string,
  target?: Target,
  details: Record<string, unknown> = {},
): Figure {
  return {
    metric,
    value: round(value, 4),
    unit,
    target: target ? `${target.op} ${target.value}` : null,
    met: target ? meets(value, target) : null,
    ...details,
  };
}

/** A figure that could not be measured: reported with its reason, never thrown. */
export function missing(metric: string, unit: string, error: string, target?: Target): Figure {
  return {
    metric,
    value: null,
    unit,
    target: target ? `${target.op} ${target.value}` : null,
    met: null,
    error,
  };
}
