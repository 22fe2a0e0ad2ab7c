import type { Meta, StoryObj } from "@storybook/react-vite";
import { Greeting } from "./Greeting.tsx";

const meta: Meta<typeof Greeting> = { component: Greeting };
export default meta;

export const Visitor: StoryObj<typeof Greeting> = { args: { name: "visitor" } };
