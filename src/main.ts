/** `npm start`: the service on the configured engines (embedded defaults when nothing is set). */
import { createVault } from './compose.ts';
import { describeConfig, loadConfig } from './config/config.ts';
import { createHttpServer } from './http/http-server.ts';

const config = loadConfig();
const vault = await createVault(config);
const server = createHttpServer(vault.app).listen(config.port, config.host, () => {
  vault.logger.info({ config: describeConfig(config) }, `Licence Vault listening on ${config.publicBaseUrl}`);
  if (config.seedDevData) {
    process.stdout.write(
      [
        '',
        `  Licence Vault is running on ${config.publicBaseUrl} (API docs: ${config.publicBaseUrl}/docs)`,
        '  Development departments were seeded. Get an access token for one of them with:',
        '    npm run cli -- token --department 111101050000100149        # issuer (market regulation)',
        '  and a development holder token with:',
        '    npm run cli -- holder-token --subject 11010519491231002X',
        '',
      ].join('\n') + '\n',
    );
  }
});

let closing = false;
async function shutdown(signal: string) {
  if (closing) return;
  closing = true;
  vault.logger.info({ signal }, 'shutting down');
  server.close();
  await vault.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
