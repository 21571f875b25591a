import BatchgateConfig
import InferenceCore

/// Opens every model of a configuration as its workers will (architecture, hyperparameters, every tensor's type and
/// shape, data that runs past the end of the file), so that a model no worker could load is refused by
/// `config check` and before `serve` starts, rather than restarted forever.
enum ModelFileCheck {
    /// One line per model that cannot be served: `models.NAME.path: what is wrong`.
    static func problems(in configuration: BatchgateConfiguration) -> [String] {
        configuration.models.compactMap { (model) -> String? in
            do throws(EngineError) {
                _ = try ModelWeights(path: model.path)
                return nil
            } catch {
                return "models.\(model.name).path: \(error.detail)"
            }
        }
    }
}
