/**
 * @orrery/server/testing — test tools for handlers and registry backends (Node only):
 * - {@link connectTestClient}: a real-socket client that records frames and closes;
 * - {@link testHandler}: run a handler's callbacks without a socket;
 * - {@link registryConformance}: the suite every registry backend must pass;
 * - {@link presenceConformance}: the suite every presence store must pass, with
 *   {@link PresenceRecorder} / {@link PresenceMirror} to watch presence messages.
 */
export { connectTestClient, TestClient, HandshakeRejected } from './test-client.js';
export { MemoryLogger } from './memory-logger.js';
export type { LoggedLine } from './memory-logger.js';
export type { ClientClose, ReceivedFrame, TestClientOptions } from './test-client.js';
export { testHandler, HandlerHarness } from './harness.js';
export type { HarnessOptions } from './harness.js';
export { registryConformance, RecordingMember } from './conformance.js';
export type { ConformanceOptions, ConformanceTestApi, RegistryCluster } from './conformance.js';
export { presenceConformance } from '../presence/conformance.js';
export type { PresenceCluster, PresenceConformanceOptions } from '../presence/conformance.js';
export { PresenceMirror, PresenceRecorder } from '../presence/recorder.js';
