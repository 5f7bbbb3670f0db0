import { createApp } from '../lib/app';

// The CDK CLI sets CDK_OUTDIR, so the app synthesizes itself when this script ends.
createApp();
