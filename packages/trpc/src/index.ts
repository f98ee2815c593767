// @orrery/trpc — not built yet (see issues).
export {};
