// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/**
 * The frames of ``/ws/chat`` this client itself sends and reads. They are written here, not
 * taken from the generated ``messages.ts``, so the client's own protocol never changes with
 * the handlers of a project.
 */
export function isObject(value) {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
export function isErrorFrame(frame) {
    return typeof frame.status === "number" && frame.type === undefined;
}
export function isPosition(frame) {
    return typeof frame.offset === "number" && typeof frame.epoch === "string";
}
export function isRoomMessage(frame) {
    if (typeof frame.room !== "string" || !isPosition(frame))
        return false;
    return frame.type === "event" || (frame.type === "chat" && typeof frame.from === "string" && typeof frame.text === "string");
}
/** The frame's ``room``, when it names one. */
export function roomOf(frame) {
    return typeof frame.room === "string" ? frame.room : undefined;
}
