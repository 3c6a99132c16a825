// Stand-in for Node's `crypto`, which node-forge only probes for under Node.
export default {};
