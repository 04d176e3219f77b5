using System.Text.Json.Nodes;

namespace AgentFleet.ComfyBridge.Tests.Fixtures;

/// <summary>API-format workflows (the JSON ComfyUI's "Save (API)" exports): node id → {class_type, inputs}.</summary>
public static class Workflows
{
    public static JsonObject TextToImage(int steps = 4, string prefix = "fleet") => JsonNode.Parse($$$"""
        {
          "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
          "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 1}},
          "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a lighthouse at dawn", "clip": ["4", 1]}},
          "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["4", 1]}},
          "3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": {{{steps}}}, "cfg": 7, "sampler_name": "euler", "scheduler": "normal", "denoise": 1,
                "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
          "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
          "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "{{{prefix}}}", "images": ["8", 0]}}
        }
        """)!.AsObject();

    public static JsonObject Failing() => JsonNode.Parse("""
        {
          "1": {"class_type": "FailNode", "inputs": {}},
          "2": {"class_type": "SaveImage", "inputs": {"filename_prefix": "never", "images": ["1", 0]}}
        }
        """)!.AsObject();
}
