{
  # One source list for both builds: every .cc in native/ and native/core/ (CMakeLists.txt globs the same
  # folders). The core's unit test lives in test/native/, so its main never enters the addon.
  "targets": [
    {
      "target_name": "canfork",
      "sources": ["<!@(node -p \"['native', 'native/core'].flatMap(d => require('fs').readdirSync(d).filter(f => f.endsWith('.cc')).map(f => d + '/' + f)).join(' ')\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++20"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
