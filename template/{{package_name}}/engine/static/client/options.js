// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** The client's options, their defaults, and the events it emits. */
import { DEFAULT_BACKOFF } from "./backoff.js";
export const DEFAULTS = {
    ...DEFAULT_BACKOFF,
    heartbeat: 20_000,
    deadAfter: undefined,
    timeout: 10_000,
    publishTimeout: 60_000,
    maxOutbox: 1000,
    maxOutboxBytes: 1 << 20,
};
/** The options with their defaults; throws TypeError for a value that cannot work. */
export function settingsOf(options) {
    const settings = { ...DEFAULTS };
    for (const key of Object.keys(DEFAULTS)) {
        const value = options[key];
        if (value === undefined)
            continue;
        if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
            throw new TypeError(`option ${key} must be a number ≥ 0, got ${String(value)}`);
        }
        settings[key] = value;
    }
    if (settings.minReconnectDelay > settings.maxReconnectDelay) {
        throw new TypeError("minReconnectDelay is larger than maxReconnectDelay");
    }
    return settings;
}
