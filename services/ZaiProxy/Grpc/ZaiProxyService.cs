using AgentFleet.ZaiProxy.Contracts;

namespace AgentFleet.ZaiProxy.Grpc;

/// <summary>Serves zai_proxy.proto; methods a later issue fills in still answer UNIMPLEMENTED from the base.</summary>
internal sealed class ZaiProxyService : ZaiProxyGrpc.ZaiProxyBase;
