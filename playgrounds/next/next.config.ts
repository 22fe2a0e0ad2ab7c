import withCaptun from "@captun/next";

export default withCaptun({
  // Next writes AI-agent rule files into the project on `next dev` unless told not to.
  agentRules: false,
});
