using Grpc.Core;
using Grpc.Core.Interceptors;

namespace AgentFleet.ServiceDefaults.Grpc;

/// <summary>
/// Gives a unary call without a deadline one, so a service that hangs never holds its caller forever.
/// Streams keep none: they last as long as their caller listens, and end with its cancellation.
/// </summary>
internal sealed class DefaultDeadlineInterceptor(TimeSpan deadline) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(TRequest request,
        ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation) =>
        continuation(request, context.Options.Deadline is null
            ? new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithDeadline(DateTime.UtcNow + deadline))
            : context);
}
