{
  "variables": {
    "genmetrics_arch%": "<!(node -p \"process.env.GENMETRICS_ARCH || 'native'\")"
  },
  "targets": [
    {
      "target_name": "genmetrics",
      "sources": [
        "native/src/addon.cc",
        "native/src/cholesky.cc",
        "native/src/density.cc",
        "native/src/finite.cc",
        "native/src/finite_binding.cc",
        "native/src/frechet.cc",
        "native/src/frechet_binding.cc",
        "native/src/gemm.cc",
        "native/src/kmeans.cc",
        "native/src/legacy_random.cc",
        "native/src/knn.cc",
        "native/src/linear_svm.cc",
        "native/src/logistic.cc",
        "native/src/mmd.cc",
        "native/src/memory_binding.cc",
        "native/src/moments.cc",
        "native/src/moments_binding.cc",
        "native/src/pairwise.cc",
        "native/src/pairwise_binding.cc",
        "native/src/prdc.cc",
        "native/src/resize.cc",
        "native/src/resize_binding.cc",
        "native/src/scratch.cc",
        "native/src/svm_binding.cc",
        "native/src/symmetric_eigen.cc",
        "native/src/vae.cc",
        "native/src/vae_binding.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node -e \"process.stdout.write(process.env.EIGEN3_INCLUDE_DIR || '/usr/include/eigen3')\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_CPP_EXCEPTIONS_ALL", "EIGEN_DONT_PARALLELIZE", "EIGEN_MPL2_ONLY"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=<(genmetrics_arch)", "-fexceptions", "-ffp-contract=off"],
      "ldflags": ["-pthread"]
    }
  ]
}
