// @orrery/redis — not built yet (see issues).
export {};
