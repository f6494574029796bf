import { fileURLToPath } from 'node:url';
import { projectConfig } from '../../vitest.shared.ts';

export default projectConfig(fileURLToPath(new URL('.', import.meta.url)));
