//! Reading and clicking a tray menu the way a desktop's tray host does: the StatusNotifierItem
//! on the session bus and its com.canonical.dbusmenu object.

use std::collections::HashMap;

use zbus::blocking::Connection;
use zbus::zvariant::{OwnedValue, Value};

/// One menu entry: its dbusmenu id, label (mnemonic underscores removed) and children.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: i32,
    pub label: String,
    pub kind: String,
    pub enabled: bool,
    pub children: Vec<Item>,
}

impl Item {
    pub fn find(&self, label: &str) -> Option<&Item> {
        if self.label == label {
            return Some(self);
        }
        self.children.iter().find_map(|child| child.find(label))
    }

    /// The labels of the direct children, separators as "---".
    pub fn labels(&self) -> Vec<String> {
        self.children
            .iter()
            .map(|c| if c.kind == "separator" { "---".to_owned() } else { c.label.clone() })
            .collect()
    }
}

pub struct TrayMenu {
    connection: Connection,
    service: String,
    path: String,
}

impl TrayMenu {
    /// The tray item that process `pid` registered on the session bus, if it has one yet.
    pub fn of_pid(pid: u32) -> Option<Self> {
        let connection = Connection::session().expect("session bus");
        let reply = connection
            .call_method(
                Some("org.freedesktop.DBus"),
                "/org/freedesktop/DBus",
                Some("org.freedesktop.DBus"),
                "ListNames",
                &(),
            )
            .expect("ListNames");
        let names: Vec<String> = reply.body().deserialize().expect("names");
        let prefix = format!("org.kde.StatusNotifierItem-{pid}-");
        let service = names.into_iter().find(|n| n.starts_with(&prefix))?;
        let path = item_property(&connection, &service, "Menu")
            .and_then(|v| zbus::zvariant::OwnedObjectPath::try_from(v).ok())
            .map(|p| p.to_string())
            .unwrap_or_else(|| "/MenuBar".to_owned());
        Some(Self { connection, service, path })
    }

    pub fn tooltip_title(&self) -> Option<String> {
        let value = item_property(&self.connection, &self.service, "ToolTip")?;
        let (_icon, _pixmaps, title, _body): ToolTip = value.try_into().ok()?;
        Some(title)
    }

    /// The tooltip's text (its description; the title is the app's name).
    pub fn tooltip_text(&self) -> Option<String> {
        let value = item_property(&self.connection, &self.service, "ToolTip")?;
        let (_icon, _pixmaps, _title, body): ToolTip = value.try_into().ok()?;
        Some(body)
    }

    pub fn layout(&self) -> Item {
        let reply = self
            .connection
            .call_method(
                Some(self.service.as_str()),
                self.path.as_str(),
                Some("com.canonical.dbusmenu"),
                "GetLayout",
                &(0i32, -1i32, Vec::<String>::new()),
            )
            .expect("GetLayout");
        let (_revision, (id, props, children)): (u32, RawItem) =
            reply.body().deserialize().expect("layout");
        item_from_parts(id, props, children.into_iter().map(Value::from).collect())
    }

    pub fn click(&self, label: &str) {
        self.send_click(label).expect("Event clicked");
    }

    /// Clicks an item that ends the process (Quit): the process may be gone before its tray
    /// thread sends the D-Bus reply, so a missing reply is expected; any other error is not.
    pub fn click_exit(&self, label: &str) {
        match self.send_click(label) {
            Ok(()) => {}
            Err(zbus::Error::MethodError(name, _, _))
                if name.as_str() == "org.freedesktop.DBus.Error.NoReply" => {}
            Err(err) => panic!("clicking {label:?} failed: {err}"),
        }
    }

    fn send_click(&self, label: &str) -> zbus::Result<()> {
        let layout = self.layout();
        let item =
            layout.find(label).unwrap_or_else(|| panic!("no menu item {label:?} in {layout:#?}"));
        self.connection.call_method(
            Some(self.service.as_str()),
            self.path.as_str(),
            Some("com.canonical.dbusmenu"),
            "Event",
            &(item.id, "clicked", Value::I32(0), 0u32),
        )?;
        Ok(())
    }
}

fn item_property(connection: &Connection, service: &str, name: &str) -> Option<OwnedValue> {
    let reply = connection
        .call_method(
            Some(service),
            "/StatusNotifierItem",
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &("org.kde.StatusNotifierItem", name),
        )
        .ok()?;
    let value: OwnedValue = reply.body().deserialize().ok()?;
    Some(value)
}

/// StatusNotifierItem's `(sa(iiay)ss)`: icon name, icon pixmaps, title, body.
type ToolTip = (String, Vec<(i32, i32, Vec<u8>)>, String, String);

/// dbusmenu's `(ia{sv}av)`: id, properties, children (each a variant holding the same shape).
type RawItem = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

fn parse_child(value: Value<'_>) -> Item {
    let structure = match value {
        Value::Value(inner) => return parse_child(*inner),
        Value::Structure(structure) => structure,
        other => panic!("menu child: {other:?}"),
    };
    let mut fields = structure.into_fields().into_iter();
    let id = match fields.next() {
        Some(Value::I32(id)) => id,
        other => panic!("menu item id: {other:?}"),
    };
    let props: HashMap<String, OwnedValue> = match fields.next() {
        Some(value) => HashMap::try_from(value).expect("item properties"),
        None => HashMap::new(),
    };
    let children = match fields.next() {
        Some(Value::Array(array)) => array.iter().map(|c| c.try_clone().expect("clone")).collect(),
        _ => Vec::new(),
    };
    item_from_parts(id, props, children)
}

fn item_from_parts(id: i32, props: HashMap<String, OwnedValue>, children: Vec<Value<'_>>) -> Item {
    let children = children.into_iter().map(parse_child).collect();
    let string =
        |key: &str| props.get(key).and_then(|v| String::try_from(v.try_clone().ok()?).ok());
    Item {
        id,
        label: string("label").unwrap_or_default().replace('_', ""),
        kind: string("type").unwrap_or_else(|| "standard".to_owned()),
        enabled: props.get("enabled").and_then(|v| bool::try_from(v).ok()).unwrap_or(true),
        children,
    }
}
