// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** A small typed event emitter: a listener's exception never breaks the client. */
/** Events by name, each with the arguments its listeners get. */
export class Emitter {
    listeners = new Map();
    /** Call `listener` on every `event`; returns a function that removes it. */
    on(event, listener) {
        let set = this.listeners.get(event);
        if (!set) {
            set = new Set();
            this.listeners.set(event, set);
        }
        set.add(listener);
        return () => this.off(event, listener);
    }
    /** Stop calling `listener` on `event`. */
    off(event, listener) {
        this.listeners.get(event)?.delete(listener);
    }
    /** How many listeners `event` has. */
    listenerCount(event) {
        return this.listeners.get(event)?.size ?? 0;
    }
    /** Call every listener of `event` with `args`; an exception is reported, not thrown. */
    emit(event, ...args) {
        const set = this.listeners.get(event);
        if (!set)
            return;
        for (const listener of [...set]) {
            try {
                listener(...args);
            }
            catch (error) {
                report(error);
            }
        }
    }
}
function report(error) {
    const global = globalThis;
    if (typeof global.reportError === "function")
        global.reportError(error);
    else
        console.error(error);
}
