import { parseArgs } from 'node:util';
import { startOllamaSimulator } from './server.js';

// Usage: node --import tsx test/support/ollama-simulator/cli.ts --port 11434 [--time-scale 10] [--parallel 2]
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '11434' },
    'time-scale': { type: 'string', default: '1' },
    parallel: { type: 'string' },
    'max-loaded-models': { type: 'string', default: '1' },
  },
});
const simulator = await startOllamaSimulator({
  port: Number(values.port),
  timeScale: Number(values['time-scale']),
  maxLoadedModels: Number(values['max-loaded-models']),
  ...(values.parallel === undefined ? {} : { parallel: Number(values.parallel) }),
});
console.log(`Ollama simulator listening on ${simulator.host}`);
const stop = (): void => {
  void simulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
