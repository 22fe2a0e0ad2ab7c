import type { StorybookConfig } from "@storybook/react-vite";

// Storybook's Vite builder reads vite.config.ts, where captun() sits.
const config: StorybookConfig = {
  stories: ["../src/**/*.stories.tsx"],
  framework: { name: "@storybook/react-vite", options: {} },
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
};
export default config;
