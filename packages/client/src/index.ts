// @orrery/client — not built yet (see issues).
export {};
