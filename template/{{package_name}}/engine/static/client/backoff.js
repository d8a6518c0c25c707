// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** Reconnect delays: exponential backoff with full jitter (as centrifuge-js computes them). */
export const DEFAULT_BACKOFF = { minReconnectDelay: 500, maxReconnectDelay: 20_000 };
/**
 * The delay before attempt `attempt` (0 for the first retry), in milliseconds.
 *
 * A uniform draw up to min * 2^attempt (capped), added to min: clients that lost the same
 * server spread their reconnects over the whole window instead of arriving together.
 */
export function backoffDelay(attempt, options, random = Math.random) {
    const { minReconnectDelay: min, maxReconnectDelay: max } = options;
    const window = Math.min(max, min * 2 ** Math.min(attempt, 31));
    return Math.min(max, min + Math.floor(random() * (window + 1)));
}
