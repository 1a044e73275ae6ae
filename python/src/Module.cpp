//===- Module.cpp - mlopt._C, the Python binding of the runtime -----------===//
//
// Exposes runtime buffers (zero-copy to and from NumPy) and eager dispatch.
// Tensor semantics (views, broadcasting, type promotion) live in Python on
// top of these few calls.
//
//===----------------------------------------------------------------------===//

#include "frontend/Eager.h"
#include "codegen/CpuBackend.h"
#include "frontend/Trace.h"
#include "runtime/Allocator.h"
#include "runtime/Cuda.h"
#include "runtime/CudaProgram.h"
#include "runtime/Threads.h"

#include <iterator>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

namespace py = pybind11;
namespace rt = ::mlopt::rt;

namespace {


std::optional<rt::DType> dtypeOf(const py::dtype &dt) {
  switch (dt.kind()) {
  case 'f':
    if (dt.itemsize() == 2) return rt::DType::F16;
    if (dt.itemsize() == 4) return rt::DType::F32;
    if (dt.itemsize() == 8) return rt::DType::F64;
    break;
  case 'i':
    if (dt.itemsize() == 4) return rt::DType::I32;
    if (dt.itemsize() == 8) return rt::DType::I64;
    break;
  case 'b':
    return rt::DType::Bool;
  default:
    break;
  }
  return std::nullopt;
}

py::dtype numpyDtype(rt::DType dtype) {
  switch (dtype) {
  case rt::DType::F16: return py::dtype("float16");
  case rt::DType::F32: return py::dtype("float32");
  case rt::DType::F64: return py::dtype("float64");
  case rt::DType::Bool: return py::dtype("bool");
  case rt::DType::I32: return py::dtype("int32");
  case rt::DType::I64: return py::dtype("int64");
  case rt::DType::BF16: return py::dtype("uint16"); // raw bits
  }
  return py::dtype("float32");
}

/// Wraps a NumPy array without copying; the array lives as long as any
/// buffer that shares it. A read-only array (np.frombuffer of bytes,
/// broadcast_to views) is copied: tensors may be written in place.
rt::Buffer fromNumpy(py::array array, bool shareReadOnly) {
  if (!array.writeable() && !shareReadOnly)
    array = py::array(py::module_::import("numpy").attr("array")(array));
  std::optional<rt::DType> dtype = dtypeOf(array.dtype());
  if (!dtype)
    throw py::type_error("mlopt: unsupported NumPy dtype " +
                         std::string(py::str(array.dtype())) +
                         " (float16/32/64, int32/64 and bool are supported)");
  if (array.dtype().byteorder() == '>')
    throw py::type_error("mlopt: only native byte order arrays are supported");
  rt::Buffer b;
  b.dtype = *dtype;
  size_t item = rt::byteSize(b.dtype);
  for (py::ssize_t i = 0; i < array.ndim(); ++i) {
    b.shape.push_back(array.shape(i));
    if (array.strides(i) % static_cast<py::ssize_t>(item) != 0)
      throw py::value_error("mlopt: array strides are not multiples of its item size");
    b.strides.push_back(array.strides(i) / static_cast<py::ssize_t>(item));
  }
  b.data = const_cast<void *>(array.data());
  auto *owner = new py::object(array);
  b.storage = std::shared_ptr<void>(b.data, [owner](void *) {
    py::gil_scoped_acquire gil;
    delete owner;
  });
  return b;
}

/// A NumPy array viewing the buffer's memory, keeping the storage alive.
py::array toNumpy(const rt::Buffer &b) {
  if (b.device != rt::Device::CPU)
    throw py::type_error("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() "
                         "to copy the tensor to host memory first.");
  std::vector<py::ssize_t> shape(b.shape.begin(), b.shape.end()), strides;
  size_t item = rt::byteSize(b.dtype);
  for (int64_t s : b.strides)
    strides.push_back(s * static_cast<py::ssize_t>(item));
  auto *keep = new std::shared_ptr<void>(b.storage);
  py::capsule base(keep, [](void *p) { delete static_cast<std::shared_ptr<void> *>(p); });
  char *first = static_cast<char *>(b.data) + b.offset * static_cast<int64_t>(item);
  return py::array(numpyDtype(b.dtype), shape, strides, first, base);
}

/// Runs `call(error)` without the GIL (compiles, kernels and device waits
/// take long); a false result raises RuntimeError with the message.
template <typename F>
void releasedOrRaise(F &&call) {
  std::string error;
  bool ok;
  {
    py::gil_scoped_release release;
    ok = call(error);
  }
  if (!ok)
    throw std::runtime_error(error);
}

mlir::mlopt::EagerAttr attrOf(const py::handle &value) {
  if (py::isinstance<py::bool_>(value))
    return value.cast<bool>();
  if (py::isinstance<py::int_>(value))
    return value.cast<int64_t>();
  return value.cast<std::vector<int64_t>>();
}

} // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "mlopt runtime and eager dispatch";

  py::class_<rt::Buffer>(m, "Buffer")
      .def_property_readonly("shape", [](const rt::Buffer &b) { return py::tuple(py::cast(b.shape)); })
      .def_property_readonly("strides", [](const rt::Buffer &b) { return py::tuple(py::cast(b.strides)); })
      .def_property_readonly("offset", [](const rt::Buffer &b) { return b.offset; })
      .def_property_readonly("dtype", [](const rt::Buffer &b) { return std::string(rt::mlirName(b.dtype)); })
      .def_property_readonly("device", [](const rt::Buffer &b) {
        return std::string(b.device == rt::Device::CUDA ? "cuda" : "cpu");
      })
      // (shape, dtype, device) in one call: compiled functions' fast guard,
      // read per argument per call, so small ints and no strings.
      .def_property_readonly("key", [](const rt::Buffer &b) {
        py::tuple shape(b.shape.size());
        for (size_t i = 0; i < b.shape.size(); ++i)
          shape[i] = py::int_(b.shape[i]);
        return py::make_tuple(std::move(shape), static_cast<int>(b.dtype),
                              b.device == rt::Device::CUDA);
      })
      .def_property_readonly("data_ptr", [](const rt::Buffer &b) {
        return reinterpret_cast<uintptr_t>(static_cast<char *>(b.data) +
                                           b.offset * static_cast<int64_t>(rt::byteSize(b.dtype)));
      })
      .def("is_contiguous", &rt::Buffer::isContiguous)
      .def("same_storage", [](const rt::Buffer &a, const rt::Buffer &b) { return a.storage == b.storage; })
      .def("numpy", &toNumpy)
      .def("view", [](const rt::Buffer &b, std::vector<int64_t> shape, std::vector<int64_t> strides,
                      int64_t offset) {
        if (shape.size() != strides.size())
          throw py::value_error("view: shape and strides differ in length");
        // Element counts and offsets in int64, as every kernel computes them
        // (an expand to 2^32 x 2^32 wrapped to 0 elements: kernels wrote
        // past their buffers).
        int64_t count = 1;
        for (int64_t n : shape)
          if (n < 0 || __builtin_mul_overflow(count, n, &count))
            throw std::runtime_error(n < 0 ? "view: negative size"
                                           : "numel: integer multiplication overflow");
        // A view stays inside the elements of the buffer it is taken from.
        auto extent = [](const std::vector<int64_t> &sh, const std::vector<int64_t> &st,
                         int64_t off) -> std::optional<std::pair<int64_t, int64_t>> {
          int64_t low = off, high = off;
          for (size_t i = 0; i < sh.size(); ++i) {
            if (sh[i] == 0)
              return std::nullopt;
            int64_t reach;
            if (__builtin_mul_overflow(sh[i] - 1, st[i], &reach) ||
                __builtin_add_overflow(reach < 0 ? low : high, reach, reach < 0 ? &low : &high))
              throw std::runtime_error("view: offset arithmetic overflows int64");
          }
          return std::make_pair(low, high);
        };
        auto inner = extent(shape, strides, offset);
        auto outer = extent(b.shape, b.strides, b.offset);
        if (inner && (!outer || inner->first < outer->first || inner->second > outer->second))
          throw py::index_error("view: out of the bounds of its buffer");
        rt::Buffer v = b;
        v.shape = std::move(shape);
        v.strides = std::move(strides);
        v.offset = offset;
        return v;
      });

  m.def("from_numpy", &fromNumpy, py::arg("array"), py::arg("share_read_only") = false,
        "Wraps a NumPy array (no copy; read-only arrays are copied unless "
        "share_read_only, as for DLPack imports, which share by contract).");
  m.def("empty", [](std::vector<int64_t> shape, const std::string &dtype, const std::string &device) {
    std::optional<rt::DType> d = rt::fromMlirName(dtype);
    if (!d)
      throw py::type_error("mlopt: unknown dtype " + dtype);
    for (int64_t s : shape)
      if (s < 0)
        throw py::value_error("mlopt: negative dimension in shape");
    if (device == "cuda") {
      rt::Buffer b;
      std::string error;
      if (!rt::cuda::allocate(*d, shape, b, error))
        throw std::runtime_error(error);
      return b;
    }
    return rt::Buffer::allocate(*d, std::move(shape));
  }, py::arg("shape"), py::arg("dtype"), py::arg("device") = "cpu");
  m.def("to_device", [](const rt::Buffer &b, const std::string &device) {
    rt::Buffer out;
    rt::Device to = device == "cuda" ? rt::Device::CUDA : rt::Device::CPU;
    releasedOrRaise([&](std::string &error) { return rt::cuda::toDevice(b, to, out, error); });
    return out;
  }, "A contiguous copy of the buffer on 'cpu' or 'cuda'.");
  m.def("cuda_is_available", &rt::cuda::isAvailable);
  m.def("cuda_unavailable_reason", &rt::cuda::unavailableReason);
  m.def("cuda_device_count", &rt::cuda::deviceCount);
  m.def("cuda_device_name", &rt::cuda::deviceName);
  m.def("cuda_capability", &rt::cuda::computeCapability);
  m.def("cuda_synchronize", [] {
    releasedOrRaise([&](std::string &error) { return rt::cuda::synchronize(error); });
  });
  m.def("cuda_memory_stats", [] {
    rt::cuda::DeviceMemoryStats s = rt::cuda::deviceMemoryStats();
    py::dict d;
    d["live_bytes"] = s.liveBytes;
    d["peak_bytes"] = s.peakBytes;
    d["cached_bytes"] = s.cachedBytes;
    return d;
  });
  m.def("cuda_empty_cache", &rt::cuda::emptyDeviceCache);
  m.def("cuda_reset_peak_memory_stats", &rt::cuda::resetDevicePeak);
  m.def("nvrtc_available", &rt::cuda::nvrtcAvailable);
  m.def("nvrtc_compile", [](const std::string &source, int arch, bool cubin) {
    std::string image;
    releasedOrRaise([&](std::string &error) {
      return rt::cuda::compileCuda(source, "mlopt.cu", arch, cubin, image, error);
    });
    return py::bytes(image);
  }, py::arg("source"), py::arg("arch"), py::arg("cubin") = true,
     "Compiles CUDA C with NVRTC for sm_<arch> (no GPU needed); raises with the log.");
  m.def(
      "run",
      [](const std::string &op, const std::vector<rt::Buffer> &inputs, const py::dict &attrs,
         const std::string &resultDtype) {
        mlir::mlopt::EagerOp eager{op, {}, resultDtype};
        for (auto item : attrs)
          eager.attributes.push_back({item.first.cast<std::string>(), attrOf(item.second)});
        std::vector<rt::Buffer> results;
        releasedOrRaise([&](std::string &error) {
          return mlir::mlopt::runEager(eager, inputs, results, error);
        });
        return results;
      },
      py::arg("op"), py::arg("inputs"), py::arg("attrs") = py::dict(),
      py::arg("result_dtype") = "");
  m.def("copy_into", [](const rt::Buffer &src, rt::Buffer &dst) {
    std::string error;
    if (!mlir::mlopt::copyInto(src, dst, error))
      throw std::runtime_error(error);
  });
  m.def("kernel_count", &mlir::mlopt::eagerKernelCount);

  using mlir::mlopt::Trace;
  using mlir::mlopt::TracedValue;
  py::class_<TracedValue>(m, "TracedValue")
      .def_readonly("id", &TracedValue::id)
      .def_property_readonly("shape", [](const TracedValue &v) { return py::tuple(py::cast(v.shape)); })
      .def_property_readonly("symbols", [](const TracedValue &v) { return py::tuple(py::cast(v.symbols)); })
      .def_readonly("dtype", &TracedValue::dtype);
  py::class_<Trace>(m, "Trace")
      .def(py::init<>())
      .def("add_input", &Trace::addInput, py::arg("shape"), py::arg("dtype"),
           py::arg("symbols") = std::vector<int64_t>())
      .def("record", [](Trace &t, const std::string &op, const std::vector<int> &operands,
                        const py::dict &attrs, const std::string &resultDtype,
                        std::optional<std::vector<int64_t>> resultShape,
                        const std::vector<std::pair<int, int>> &sizeSources) {
        mlir::mlopt::EagerOp eager{op, {}, resultDtype};
        for (auto item : attrs)
          eager.attributes.push_back({item.first.cast<std::string>(), attrOf(item.second)});
        TracedValue result;
        std::string error;
        if (!t.record(eager, operands, resultShape ? &*resultShape : nullptr, sizeSources,
                      result, error))
          throw std::runtime_error(error);
        return result;
      }, py::arg("op"), py::arg("operands"), py::arg("attrs") = py::dict(),
         py::arg("result_dtype") = "", py::arg("result_shape") = py::none(),
         py::arg("size_sources") = std::vector<std::pair<int, int>>())
      .def("scalar", [](Trace &t, py::object value, const std::string &dtype) {
        // Integers keep all 64 bits; floats (and inf/nan) go as doubles.
        bool integral = py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value);
        int64_t integer = integral ? value.cast<int64_t>() : 0;
        double real = value.cast<double>();
        TracedValue result;
        std::string error;
        if (!t.scalar(real, integer, dtype, result, error))
          throw std::runtime_error(error);
        return result;
      })
      .def("gradients", [](Trace &t, const std::vector<int> &outputs,
                           const std::vector<int> &cotangents, const std::vector<int> &wrt) {
        std::vector<TracedValue> result;
        std::string error;
        if (!t.gradients(outputs, cotangents, wrt, result, error))
          throw std::runtime_error(error);
        return result;
      })
      .def("finish", [](Trace &t, const std::vector<int> &results, bool cuda, bool background) {
        releasedOrRaise(
            [&](std::string &error) { return t.finish(results, error, cuda, background); });
      }, py::arg("results"), py::arg("cuda") = false, py::arg("background") = false)
      .def_property_readonly("compile_state", &Trace::compileState)
      .def_property_readonly("interpreted", &Trace::interpretedARun)
      .def("wait_compiled", [](const Trace &t) {
        releasedOrRaise([&](std::string &error) { return t.waitCompiled(error); });
      })
      .def_property_readonly("cuda_source", [](const Trace &t) {
        std::string source, error;
        if (!t.cudaSource(source, error))
          throw std::runtime_error(error);
        return source;
      })
      // The CUDA program as data (for tools and tests that run it without a
      // GPU): compile units, kernel names and the host plan.
      .def_property_readonly("cuda_program", [](const Trace &t) {
        rt::cuda::ProgramSpec spec;
        std::string error;
        if (!t.cudaSpec(spec, error))
          throw std::runtime_error(error);
        static const char *kinds[] = {"alloc", "free", "launch", "gemm", "copy", "upload"};
        static_assert(std::size(kinds) == rt::cuda::Step::Upload + 1, "a name per Step::Kind");
        py::list steps;
        for (const rt::cuda::Step &step : spec.steps) {
          py::dict d;
          d["kind"] = kinds[step.kind];
          d["slot"] = step.slot;
          d["bytes"] = step.bytes;
          d["kernel"] = step.kernel;
          d["grid"] = step.grid;
          d["block"] = step.block;
          d["shared_bytes"] = step.sharedBytes;
          d["args"] = step.args;
          d["a"] = step.a;
          d["b"] = step.b;
          d["c"] = step.c;
          d["offset_a"] = step.offsetA;
          d["offset_b"] = step.offsetB;
          d["offset_c"] = step.offsetC;
          if (step.kind == rt::cuda::Step::Gemm) {
            const rt::cuda::Gemm &g = step.gemm;
            d["gemm"] = py::dict(
                py::arg("dtype") = rt::mlirName(g.dtype), py::arg("trans_a") = g.transA,
                py::arg("trans_b") = g.transB, py::arg("m") = g.m, py::arg("n") = g.n,
                py::arg("k") = g.k, py::arg("lda") = g.lda, py::arg("ldb") = g.ldb,
                py::arg("ldc") = g.ldc, py::arg("batch") = g.batch, py::arg("stride_a") = g.strideA,
                py::arg("stride_b") = g.strideB, py::arg("stride_c") = g.strideC,
                py::arg("alpha") = g.alpha, py::arg("beta") = g.beta);
          }
          d["data"] = py::bytes(step.data);
          steps.append(d);
        }
        py::list outputs;
        for (const rt::cuda::Output &o : spec.outputs)
          outputs.append(py::dict(py::arg("slot") = o.slot, py::arg("dtype") = rt::mlirName(o.dtype),
                                  py::arg("shape") = o.shape, py::arg("strides") = o.strides,
                                  py::arg("offset") = o.offset));
        py::dict d;
        d["units"] = spec.units;
        d["kernels"] = spec.kernels;
        d["num_slots"] = spec.numSlots;
        d["steps"] = steps;
        d["outputs"] = outputs;
        return d;
      })
      .def("run", [](const Trace &t, const std::vector<rt::Buffer> &inputs, bool graph) {
        std::vector<rt::Buffer> outputs;
        releasedOrRaise([&](std::string &error) { return t.run(inputs, outputs, error, graph); });
        return outputs;
      }, py::arg("inputs"), py::arg("graph") = false)
      .def_property_readonly("cuda_graph", &Trace::cudaGraphState)
      .def_property_readonly("ir", &Trace::ir)
      .def_property_readonly("kernel_count", [](const Trace &t) {
        py::gil_scoped_release release; // (waits for a background compile)
        return t.kernelCount();
      })
      .def_property_readonly("compile_stats", [](const Trace &t) {
        const mlir::mlopt::CompileStats *stats;
        {
          py::gil_scoped_release release; // (waits for a background compile)
          stats = &t.compileStats();
        }
        const mlir::mlopt::CompileStats &s = *stats;
        py::dict d;
        d["cache"] = s.memoryCacheHit ? "memory" : s.diskCacheHit ? "disk" : "miss";
        d["mlir_ms"] = s.lowerMs;
        d["translate_ms"] = s.translateMs; // to LLVM IR (CPU)
        d["llvm_ms"] = s.llvmMs;           // LLVM optimization + machine code, or NVRTC
        d["load_ms"] = s.loadMs;
        return d;
      });
  m.def("join_background_compiles_at_exit", &Trace::joinBackgroundCompilesAtExit,
        py::call_guard<py::gil_scoped_release>());
  // Tests: programs compile cold again (eager kernels stay loaded).
  m.def("clear_compile_memory_cache", &mlir::mlopt::CpuBackend::clearMemoryCache);
  m.def("num_threads", &rt::numThreads);
  m.def("memory_stats", [] {
    rt::AllocatorStats s = rt::allocatorStats();
    py::dict d;
    d["cached_bytes"] = s.cachedBytes;
    d["live_bytes"] = s.liveBytes;
    d["peak_bytes"] = s.peakBytes;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    d["limit_bytes"] = s.limitBytes;
    return d;
  });
  m.def("empty_cache", &rt::emptyCache);
  m.def("reset_peak_memory_stats", &rt::resetPeak);
}
