/**
 * @orrery/server/testing — test tools for handlers and registry backends (Node only):
 * - {@link connectTestClient}: a real-socket client that records frames and closes;
 * - {@link testHandler}: run a handler's callbacks without a socket;
 * - {@link registryConformance}: the suite every registry backend must pass.
 */
export { connectTestClient, TestClient, HandshakeRejected } from './test-client.js';
export type { ClientClose, ReceivedFrame, TestClientOptions } from './test-client.js';
export { testHandler, HandlerHarness } from './harness.js';
export type { HarnessOptions } from './harness.js';
export { registryConformance, RecordingMember } from './conformance.js';
export type { ConformanceOptions, ConformanceTestApi, RegistryCluster } from './conformance.js';
