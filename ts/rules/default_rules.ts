/** Path of the shipped default rules (rules/scapdrift_rules.yaml, loaded by --default-rules). */
import { fileURLToPath } from 'node:url';

export const DEFAULT_RULES_PATH = fileURLToPath(new URL('../../../rules/scapdrift_rules.yaml', import.meta.url));
