export { defaultProfiles, type ModelProfile } from './profiles.js';
export {
  type OllamaSimulator,
  type OllamaSimulatorOptions,
  type SimulatorFault,
  type SimulatorStats,
  startOllamaSimulator,
} from './server.js';
