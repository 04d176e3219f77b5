using AgentFleet.Console.Auth;

namespace AgentFleet.Console.Fleet;

/// <summary>
/// <c>/comfy-outputs/{file}</c>: a ComfyUI output image, fetched through the gateway with the signed-in person's key and
/// streamed to their browser (an <c>img</c> cannot send the key itself, and the key never reaches the browser).
/// </summary>
public static class ComfyOutputs
{
    public const string Path = "/comfy-outputs";

    public static void MapComfyOutputs(this WebApplication app) =>
        app.MapGet(Path + "/{**file}", async (string file, HttpContext context, FleetApi fleet, CancellationToken cancellationToken) =>
        {
            var api = fleet.As(ConsoleUser.From(context.User)!);
            try
            {
                using var response = await api.OpenAsync($"/v1/comfyui/outputs/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}", null, cancellationToken);
                context.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
                await response.Content.CopyToAsync(context.Response.Body, cancellationToken);
            }
            catch (FleetApiException e)
            {
                context.Response.StatusCode = e.Status;
                await context.Response.WriteAsync(e.Message, cancellationToken);
            }
        }).RequireAuthorization();

    public static bool IsImage(string name) =>
        System.IO.Path.GetExtension(name).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".webp" or ".gif";

    public static string UrlOf(string name) => $"{Path}/{string.Join('/', name.Split('/').Select(Uri.EscapeDataString))}";
}
